// The five Brand DNA axes: their order (the order of every axis array, e.g. the `near` search
// parameter and the database's cube), their meaning, and their validation.
import * as z from 'zod';

export const AXES = ['density', 'warmth', 'playfulness', 'sophistication', 'energy'] as const;
export type AxisName = (typeof AXES)[number];

/** What low (0) and high (1) mean on each axis, as the studio's interpreter reads them. */
export const AXIS_MEANING: Record<AxisName, { low: string; high: string }> = {
  density: { low: 'spacious spacing and sizes', high: 'compact spacing and sizes' },
  warmth: { low: 'cool colour temperature', high: 'warm colour temperature' },
  playfulness: { low: 'restrained motion and shapes', high: 'lively motion and shapes' },
  sophistication: { low: 'simple typography and detail', high: 'refined typography and detail' },
  energy: { low: 'calm, low contrast', high: 'vivid, high contrast' },
};

/** One axis value: a finite number from 0 to 1 inclusive (NaN and ±Infinity are rejected). */
export const AxisValueSchema = z
  .number({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a number from 0 to 1') })
  .min(0, { error: 'must be at least the minimum 0' })
  .max(1, { error: 'must be at most the maximum 1' });

const axisShape = Object.fromEntries(AXES.map((axis) => [axis, AxisValueSchema.describe(`0 = ${AXIS_MEANING[axis].low}, 1 = ${AXIS_MEANING[axis].high}`)])) as Record<
  AxisName,
  typeof AxisValueSchema
>;

/** Exactly the five axes, each from 0 to 1; unknown keys are rejected. */
export const AxesSchema = z
  .strictObject(axisShape)
  .meta({ id: 'Axes', description: `The five personality axes (${AXES.join(', ')}), each from 0 to 1.` });
export type Axes = z.infer<typeof AxesSchema>;

/** Some of the five axes (for partial updates and overrides); at least one. */
export const PartialAxesSchema = AxesSchema.partial()
  .refine((axes) => Object.keys(axes).length > 0, { error: 'give at least one axis' })
  .meta({ id: 'PartialAxes', description: 'Some of the five axes; the others keep their values.' });
export type PartialAxes = Partial<Axes>;

export function isAxisName(value: string): value is AxisName {
  return (AXES as readonly string[]).includes(value);
}

/** The axes as an array in the canonical order. */
export function axesToArray(axes: Axes): [number, number, number, number, number] {
  return [axes.density, axes.warmth, axes.playfulness, axes.sophistication, axes.energy];
}

/** Five numbers in the canonical order back into an axes object (no validation). */
export function axesFromArray(values: readonly number[]): Axes {
  if (values.length !== AXES.length) throw new RangeError(`expected ${AXES.length} axis values, got ${values.length}`);
  return Object.fromEntries(AXES.map((axis, i) => [axis, values[i]])) as Axes;
}

/** `base` with the axes given in `changes` replaced. */
export function mergeAxes(base: Axes, changes: PartialAxes | undefined): Axes {
  const merged = { ...base };
  for (const axis of AXES) {
    const value = changes?.[axis];
    if (value !== undefined) merged[axis] = value;
  }
  return merged;
}
