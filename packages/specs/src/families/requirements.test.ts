import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requiredTextCharacters } from './textgen.ts';

/** The search the formula replaced (and the model library's `splitCorpus` still runs on a short text): count up until both parts hold a window. */
function leastLengthByCounting(seqLength: number, split: number): number {
  const window = seqLength + 1;
  const fits = (length: number) => {
    const validation = Math.floor(length * split);
    return length - validation >= window && (split === 0 || validation >= window);
  };
  let needed = window;
  while (!fits(needed)) needed++;
  return needed;
}

const fitsSplit = (length: number, seqLength: number, split: number) => {
  const validation = Math.floor(length * split);
  return length - validation >= seqLength + 1 && validation >= seqLength + 1;
};

const seqLength = fc.integer({ min: 2, max: 200 });

describe('requiredTextCharacters', () => {
  it('equals the counting search wherever counting is cheap', () => {
    // Splits down to 1e-4 keep the search under ~2 million steps.
    const split = fc.oneof(fc.double({ min: 1e-4, max: 0.5, noNaN: true }), fc.constantFrom(0, 0.5, 0.05, 0.1, 0.2, 1 / 3, 0.25, 0.3, 0.4999999999));
    fc.assert(
      fc.property(seqLength, split, (s, v) => requiredTextCharacters({ seqLength: s, validationSplit: v }) === leastLengthByCounting(s, v)),
      { numRuns: 1000 },
    );
    for (const preset of ['default', 'talk'] as const) expect(requiredTextCharacters(undefined, preset)).toBe(leastLengthByCounting(preset === 'default' ? 60 : 30, 0.05));
  });

  it('is the least fitting length for extreme splits, where counting would take billions of steps', () => {
    const tiny = fc.oneof(fc.double({ min: Number.MIN_VALUE, max: 1e-4, noNaN: true }), fc.constantFrom(1e-8, 1e-12, 1e-15, 2 ** -40));
    fc.assert(
      fc.property(seqLength, tiny, (s, v) => {
        const needed = requiredTextCharacters({ seqLength: s, validationSplit: v });
        if (needed === Number.POSITIVE_INFINITY) return (s + 1) / v > Number.MAX_SAFE_INTEGER / 2;
        return Number.isSafeInteger(needed) && fitsSplit(needed, s, v) && !fitsSplit(needed - 1, s, v);
      }),
      { numRuns: 1000 },
    );
    // The case: seqLength 60, validationSplit 1e-8 needs 6.1 billion characters.
    expect(requiredTextCharacters({ seqLength: 60, validationSplit: 1e-8 })).toBe(6_100_000_000);
    expect(requiredTextCharacters({ seqLength: 200, validationSplit: Number.MIN_VALUE })).toBe(Number.POSITIVE_INFINITY);
  });
});
