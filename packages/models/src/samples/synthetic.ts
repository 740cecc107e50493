/** A seeded PRNG (mulberry32): the same seed gives the same sequence on every platform. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeasonalSeriesOptions {
  /** Number of points. */
  length: number;
  /** Season length in points. Default 30. */
  period?: number;
  /** Seasonal amplitude. Default 10. */
  amplitude?: number;
  /** Standard deviation of Gaussian noise. Default 1. */
  noise?: number;
  /** Added per point. Default 0. */
  trend?: number;
  /** Starting level. Default 100. */
  level?: number;
  /** Default 1. */
  seed?: number;
}

/** level + trend·t + amplitude·sin(2πt/period) + noise: a noisy seasonal series for tests and demos. */
export function generateSeasonalSeries(options: SeasonalSeriesOptions): number[] {
  const { length, period = 30, amplitude = 10, noise = 1, trend = 0, level = 100, seed = 1 } = options;
  const random = createRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length }, (_, t) => level + trend * t + amplitude * Math.sin((2 * Math.PI * t) / period) + noise * gaussian());
}
