import { createRandom } from '../../../samples/synthetic.ts';

/** Standard normal draws (Box–Muller) from the package's seeded PRNG (`createRandom`, mulberry32). */
export function seededGaussian(seed: number): () => number {
  const random = createRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
