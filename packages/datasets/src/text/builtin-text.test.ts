import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinTextDatasets, findBuiltinTextDataset } from './builtin-text.ts';
import { summarizeText } from './parse-text-corpus.ts';
import { unigramEntropyBits } from './unigram-entropy.ts';

describe('builtin text datasets', () => {
  it('have stable ids and attribution', () => {
    expect(builtinTextDatasets.map((dataset) => dataset.id)).toEqual(['tinyshakespeare', 'moby-dick']);
    for (const dataset of builtinTextDatasets) {
      expect(dataset).toMatchObject({ kind: 'text', title: expect.any(String), source: expect.any(String), license: expect.any(String) });
      expect(findBuiltinTextDataset(dataset.id)).toBe(dataset);
    }
    expect(findBuiltinTextDataset('crypto-top100')).toBeUndefined();
  });

  it('tinyshakespeare is the bundled file, byte for byte', async () => {
    const text = await findBuiltinTextDataset('tinyshakespeare')!.load();
    expect(createHash('sha256').update(text).digest('hex')).toBe('86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed');
    expect(summarizeText(text)).toEqual({ bytes: 1_115_394, characters: 1_115_394, distinctCharacters: 65, lines: 40_000 });
    expect(text.startsWith('First Citizen:\nBefore we proceed any further, hear me speak.\n')).toBe(true);
    expect(unigramEntropyBits(text)).toBeCloseTo(4.7794, 4);
  });

  it('moby-dick runs from the etymology through 135 chapters to the epilogue, in order', async () => {
    const text = await findBuiltinTextDataset('moby-dick')!.load();
    expect(text.startsWith('ETYMOLOGY. (Supplied by a Late Consumptive Usher to a Grammar School.)\n\n')).toBe(true);
    expect(text.endsWith('only found another orphan.\n')).toBe(true);
    const headings = [...text.matchAll(/^CHAPTER (\d+)\. /gm)].map((match) => Number(match[1]));
    expect(headings).toEqual(Array.from({ length: 135 }, (_, i) => i + 1));
    expect(text.indexOf('\nEXTRACTS. ')).toBeLessThan(text.indexOf('\nCHAPTER 1. Loomings.\n\nCall me Ishmael.'));
    expect(text.indexOf('\nCHAPTER 135. ')).toBeLessThan(text.indexOf('\nEpilogue '));
    expect(text).not.toContain('\r');
    expect(text).not.toContain('\n\n\n');
    expect(summarizeText(text)).toMatchObject({ characters: 1_212_979, distinctCharacters: 89 });
  });

  it('loads once per process', async () => {
    const dataset = findBuiltinTextDataset('tinyshakespeare')!;
    expect(await dataset.load()).toBe(await dataset.load());
  });
});
