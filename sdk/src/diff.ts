// Compares two versions of a brand DNA: per-axis deltas and the other fields that changed. Pure;
// the API's compare route uses it, and so can any client holding two versions.
import { AXES, type Axes } from './axes.ts';
import type { AxisChange, BrandDnaComparison } from './schemas.ts';

export interface ComparableVersion {
  name: string;
  description?: string | null;
  axes: Axes;
  version: string;
}

/** Deltas are rounded to 12 decimals so that 0.7 − 0.4 reads 0.3, not 0.29999999999999993. */
export function roundDelta(delta: number): number {
  const rounded = Math.round(delta * 1e12) / 1e12;
  return Object.is(rounded, -0) ? 0 : rounded;
}

export function compareAxes(from: Axes, to: Axes): AxisChange[] {
  return AXES.map((axis) => {
    const delta = roundDelta(to[axis] - from[axis]);
    return { axis, from: from[axis], to: to[axis], delta, direction: delta > 0 ? 'up' : delta < 0 ? 'down' : 'unchanged' };
  });
}

export function compareVersions(from: ComparableVersion, to: ComparableVersion): Pick<BrandDnaComparison, 'axes' | 'changed'> {
  const changed: BrandDnaComparison['changed'] = {};
  if (from.name !== to.name) changed.name = { from: from.name, to: to.name };
  const fromDescription = from.description ?? null;
  const toDescription = to.description ?? null;
  if (fromDescription !== toDescription) changed.description = { from: fromDescription, to: toDescription };
  if (from.version !== to.version) changed.version = { from: from.version, to: to.version };
  return { axes: compareAxes(from.axes, to.axes), changed };
}
