import { describe, expect, it } from 'vitest';
import { DatasetParseError } from '../errors.ts';
import { parseWordVectors, type ParseWordVectorsOptions } from './parse-word-vectors.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function parseError(input: string | Uint8Array, options: Partial<ParseWordVectorsOptions> = {}): DatasetParseError {
  try {
    parseWordVectors(input, { source: 'vec.txt', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}

describe('parseWordVectors', () => {
  it('reads GloVe text from bytes or a string into one row-major buffer', () => {
    const glove = '\ufeffthe 0.5 -1 2e-1\r\nköln .25 +3 -0.75\r\n\r\n😀 1 2 3\n';
    for (const input of [glove, encode(glove)]) {
      const vectors = parseWordVectors(input, { source: 'glove.txt' });
      expect(vectors).toEqual({
        format: 'glove',
        dimension: 3,
        words: ['the', 'köln', '😀'],
        vectors: Float32Array.from([0.5, -1, 0.2, 0.25, 3, -0.75, 1, 2, 3]),
        duplicatesSkipped: 0,
      });
    }
  });

  it('reads word2vec text with its header, tabs and trailing spaces', () => {
    const vectors = parseWordVectors('3 2\nking 1 2 \nqueen\t3 4 \nking 9 9\n', { source: 'w2v.txt' });
    expect(vectors).toEqual({ format: 'word2vec', dimension: 2, words: ['king', 'queen'], vectors: Float32Array.from([1, 2, 3, 4]), duplicatesSkipped: 1 });
  });

  it('stops after maxWords without reading further lines', () => {
    const vectors = parseWordVectors('a 1 2\nb 3 4\nc oops\n', { source: 'v', maxWords: 2 });
    expect(vectors.words).toEqual(['a', 'b']);
    expect(vectors.vectors).toEqual(Float32Array.from([1, 2, 3, 4]));
    expect(parseWordVectors('5 1\na 1\nb 2\n', { source: 'v', maxWords: 1 }).words).toEqual(['a']); // a truncated count is no mismatch
  });

  it('reads "3 1" as a GloVe line when told the format', () => {
    expect(parseWordVectors('3 1\n4 2\n', { source: 'v', format: 'glove' })).toMatchObject({ format: 'glove', dimension: 1, words: ['3', '4'] });
  });

  it('names the line of an inconsistent dimension or a non-number', () => {
    expect(parseError('a 1 2 3\nb 1 2 3\nc 1 2\n').message).toBe('vec.txt line 3: the vector of "c" has 2 values; expected 3 like line 1');
    expect(parseError('2 3\na 1 2 3 4\n').message).toBe('vec.txt line 2: the vector of "a" has 4 values; expected 3 like line 1');
    expect(parseError('a 1 2\nb 1 x\n').message).toBe('vec.txt line 2: value 2 of "b" is not a number: "x"');
    for (const bad of ['NaN', 'Infinity', '0x10', '1,5', '1.2.3']) {
      expect(parseError(`a 1 ${bad}\n`).message).toBe(`vec.txt line 1: value 2 of "a" is not a number: ${JSON.stringify(bad)}`);
    }
    expect(parseError('word\n').message).toBe('vec.txt line 1: the vector of "word" has no values: expected a word followed by numbers');
  });

  it('bounds the dimension and checks a header against the lines', () => {
    expect(parseError(`a ${'1 '.repeat(1001)}\n`).message).toBe('vec.txt line 1: the vector of "a" gives 1,001 values per vector; at most 1,000 are accepted');
    expect(parseError('10 5000\n').message).toBe('vec.txt line 1: the header gives 5,000 values per vector; at most 1,000 are accepted');
    expect(parseError('10 4\n', { maxDimension: 3 }).message).toBe('vec.txt line 1: the header gives 4 values per vector; at most 3 are accepted');
    expect(parseError('3 2\na 1 2\nb 3 4\n').message).toBe('vec.txt line 1: the header declares 3 words but the file holds 2');
    expect(parseError('3 0\n').message).toBe('vec.txt line 1: the header declares a dimension of 0');
    expect(parseError('a 1 2\n', { format: 'word2vec' }).message).toBe('vec.txt line 1: expected a word2vec header "<word count> <dimension>", found "a 1 2"');
  });

  it('refuses empty files, files without vectors and binary word2vec', () => {
    expect(parseError('').message).toBe('vec.txt: the file is empty');
    expect(parseError('\n \n').message).toBe('vec.txt: the file is empty');
    expect(parseError('0 300\n').message).toBe('vec.txt: the file holds no vectors');
    const binary = Uint8Array.from([...encode('2 2\nking '), 0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0x80, 0x3f]);
    expect(parseError(binary).message).toBe(
      'vec.txt line 2: not UTF-8 text (byte 0x80 at offset 11); upload word vectors as text saved as UTF-8; this looks like a binary word2vec file: save it with binary=False',
    );
    expect(parseError(Uint8Array.from([...encode('a 1\nb'), 0xff, ...encode(' 2\n')])).message).toBe(
      'vec.txt line 2: not UTF-8 text (byte 0xff at offset 5); upload word vectors as text saved as UTF-8',
    );
    expect(() => parseWordVectors('a 1', { source: 'v', maxWords: 0 })).toThrow(RangeError);
  });
});
