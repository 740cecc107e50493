import { describe, expect, it } from 'vitest';
import { countCharacters, unigramCrossEntropyBits, unigramEntropyBits } from './unigram-entropy.ts';

describe('unigram entropy', () => {
  it('counts code points, not UTF-16 units', () => {
    expect([...countCharacters('a🐳a')]).toEqual([
      ['a', 2],
      ['🐳', 1],
    ]);
  });

  it('is log2 of the alphabet for a uniform text and 0 for one repeated character', () => {
    expect(unigramEntropyBits('abcd')).toBe(2);
    expect(unigramEntropyBits('abababab')).toBe(1);
    expect(unigramEntropyBits('zzzz')).toBe(0);
    expect(unigramEntropyBits('')).toBe(0);
    // p = 3/4, 1/4: -(0.75 log2 0.75 + 0.25 log2 0.25)
    expect(unigramEntropyBits('aaab')).toBeCloseTo(0.811278124459, 12);
  });

  it('cross-entropy with Laplace smoothing equals the entropy on the same text as counts grow', () => {
    // training 'aab', evaluated 'ab', vocabulary {a, b}: p(a) = 3/5, p(b) = 2/5
    expect(unigramCrossEntropyBits('aab', 'ab')).toBeCloseTo(-(Math.log2(3 / 5) + Math.log2(2 / 5)) / 2, 12);
    // an unseen character costs finite bits: vocabulary {a, z}, p(z) = 1/(2 + 2)
    expect(unigramCrossEntropyBits('aa', 'z')).toBe(2);
    expect(unigramCrossEntropyBits('abc', '')).toBe(0);
    expect(() => unigramCrossEntropyBits('a', 'a', 0)).toThrow('smoothing must be > 0, got 0');
  });
});
