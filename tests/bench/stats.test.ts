// The benchmarks' one percentile: nearest rank, so a p95 means the same in every report.
import { describe, expect, it } from 'vitest';
import { median, percentile } from '../../bench/stats.ts';

describe('percentile', () => {
  const samples = [7, 3, 10, 1, 9, 2, 8, 4, 6, 5];

  it('is the smallest sample with at least that share of the samples at or below it', () => {
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 0.5)).toBe(5);
    expect(percentile(samples, 0.9)).toBe(9);
    expect(percentile(samples, 0.95)).toBe(10);
    expect(percentile(samples, 0.99)).toBe(10);
    expect(percentile(samples, 1)).toBe(10);
    expect(percentile([42], 0.95)).toBe(42);
    // 0.07 × 100 is 7.000000000000001 in floating point: still the 7th sample.
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.07)).toBe(7);
  });

  it('leaves the samples as they were, and has no value for none', () => {
    const copy = [...samples];
    percentile(samples, 0.5);
    expect(samples).toEqual(copy);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('gives the median: the middle sample, the lower one of two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
  });
});
