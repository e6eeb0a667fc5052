// Every route of the API, in the order Hono matches them (static segments before parameters).
import type { RouteSpec } from '../registry.ts';
import { authRoutes } from './auth.ts';
import { brandDnaRoutes } from './brand-dna.ts';
import { metaRoutes } from './meta.ts';
import { presetRoutes } from './presets.ts';
import { workspaceRoutes } from './workspaces.ts';

export const routes: RouteSpec[] = [...metaRoutes, ...authRoutes, ...workspaceRoutes, ...brandDnaRoutes, ...presetRoutes];
