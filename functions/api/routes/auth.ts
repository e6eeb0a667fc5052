// Thin REST face over Supabase Auth (filled in below).
import type { RouteSpec } from '../registry.ts';

export const authRoutes: RouteSpec[] = [];
