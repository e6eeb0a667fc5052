// The one definition of percentiles for every benchmark, so that a p95 means the same in each
// report: the nearest-rank method, where the q-th percentile is a sample that was measured.

/** The q-th percentile (q from 0 to 1) by nearest rank: the smallest sample with at least q of all samples at or below it. NaN for none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  // The rank is ⌈q·n⌉; the nudge keeps float noise (0.07 × 100 = 7.000000000000001) from adding one.
  const rank = Math.ceil(q * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The middle sample (of an even number, the lower of the two middle ones). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}
