import { createRandom } from './samples/synthetic.ts';

/**
 * Independent random streams of one training run. Every random choice is derived from the run's
 * seed plus a stream and a counter (epoch, step), never from a generator's running state, so a
 * run resumed from a checkpoint draws exactly what the uninterrupted run would have.
 */
export const RandomStream = { shuffle: 1, dropout: 2, sampleSeed: 3, sampleText: 4 } as const;

/** Mixes a seed with further integers into a 32-bit seed (murmur3's finaliser per part). */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let hash = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of parts) {
    hash = Math.imul(hash ^ (part >>> 0), 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
  }
  return hash >>> 0;
}

/** A seeded random permutation of 0…count-1 (Fisher–Yates). */
export function shuffledIndices(count: number, seed: number): Uint32Array {
  const random = createRandom(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** A seed for runs that were given none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
