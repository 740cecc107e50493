import { describe, expect, it } from 'vitest';
import { createRandom } from '../samples/synthetic.ts';
import { bitsPerChar, unigramEntropyBits } from './metrics.ts';
import { sampleIndex } from './sampling.ts';
import { MAX_CHAR_VOCABULARY_SIZE, UNKNOWN_CHAR_INDEX, CharVocabulary } from './vocabulary.ts';

describe('CharVocabulary', () => {
  it('holds the sorted distinct code points of the corpus and encodes unseen ones as UNKNOWN_CHAR_INDEX', () => {
    const vocabulary = CharVocabulary.fromText('hello, world 🌍!');
    expect(vocabulary.characters).toEqual([' ', '!', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w', '🌍']);
    expect(Array.from(vocabulary.encode('hold 🌍?'))).toEqual([5, 7, 6, 3, 0, 10, UNKNOWN_CHAR_INDEX]);
    expect(vocabulary.character(10)).toBe('🌍');
    expect(() => vocabulary.character(UNKNOWN_CHAR_INDEX)).toThrow(/outside the vocabulary of 11/);
  });

  it('refuses corpora with more distinct characters than the one-hot input takes', () => {
    const text = Array.from({ length: MAX_CHAR_VOCABULARY_SIZE + 1 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    expect(() => CharVocabulary.fromText(text)).toThrow(`text has ${MAX_CHAR_VOCABULARY_SIZE + 1} distinct characters`);
    expect(() => new CharVocabulary(['a', 'a'])).toThrow(/distinct single characters/);
    expect(() => new CharVocabulary(['ab'])).toThrow(/distinct single characters/);
  });
});

describe('metrics', () => {
  it('converts nats to bits and measures unigram entropy', () => {
    expect(bitsPerChar(Math.LN2)).toBeCloseTo(1, 12);
    expect(unigramEntropyBits('abab')).toBeCloseTo(1, 12);
    expect(unigramEntropyBits('abcd'.repeat(5))).toBeCloseTo(2, 12);
    expect(unigramEntropyBits('aaaa')).toBe(0);
    expect(unigramEntropyBits('')).toBe(0);
    // p = 3/4, 1/4: 0.811 bits.
    expect(unigramEntropyBits('aaab')).toBeCloseTo(-(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)), 12);
  });
});

describe('sampleIndex', () => {
  const logits = [2, 1, 0, -1, 3];
  const frequencies = (temperature: number, topK?: number, draws = 20_000) => {
    const random = createRandom(5);
    const counts = new Array<number>(logits.length).fill(0);
    for (let i = 0; i < draws; i++) counts[sampleIndex(logits, temperature, random, topK)]!++;
    return counts.map((c) => c / draws);
  };
  const softmax = (values: number[], t: number) => {
    const e = values.map((v) => Math.exp(v / t));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  };

  it('draws from softmax(logits / temperature)', () => {
    for (const t of [0.5, 1, 2]) {
      frequencies(t).forEach((f, i) => expect(f).toBeCloseTo(softmax(logits, t)[i]!, 1));
    }
    // A low temperature is nearly greedy.
    expect(frequencies(0.05)[4]).toBeGreaterThan(0.99);
  });

  it('keeps only the top k', () => {
    const top2 = frequencies(1, 2);
    expect(top2[1]! + top2[2]! + top2[3]!).toBe(0);
    expect(top2[4]).toBeCloseTo(Math.E / (Math.E + 1), 1);
    expect(frequencies(1, 1)).toEqual([0, 0, 0, 0, 1]);
    expect(frequencies(1, 99)).toEqual(frequencies(1));
  });

  it('is deterministic for a seeded generator', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 50 }, () => sampleIndex(logits, 1, random));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});
