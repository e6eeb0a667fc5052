// Every route of the API, in the order Hono matches them (static segments before parameters).
import type { RouteSpec } from '../registry.ts';
import { authRoutes } from './auth.ts';
import { brandDnaFileRoutes } from './brand-dna-files.ts';
import { brandDnaRoutes } from './brand-dna.ts';
import { invitationRoutes } from './invitations.ts';
import { metaRoutes } from './meta.ts';
import { presetRoutes } from './presets.ts';
import { realtimeRoutes } from './realtime.ts';
import { workspaceRoutes } from './workspaces.ts';

export const routes: RouteSpec[] = [
  ...metaRoutes,
  ...authRoutes,
  ...workspaceRoutes,
  ...invitationRoutes,
  ...brandDnaFileRoutes,
  ...brandDnaRoutes,
  ...realtimeRoutes,
  ...presetRoutes,
];
