import { describe, expect, it } from 'vitest';
import { DatasetParseError } from '../errors.ts';
import { countLines, normalizeLineBreaks } from './line-breaks.ts';
import { parseTextCorpus, summarizeText } from './parse-text-corpus.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function parseError(bytes: Uint8Array, maxBytes?: number): DatasetParseError {
  try {
    parseTextCorpus(bytes, maxBytes === undefined ? { source: 'corpus.txt' } : { source: 'corpus.txt', maxBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}

describe('parseTextCorpus', () => {
  it('normalises CRLF and lone CR to LF, drops a BOM and summarises code points', () => {
    const bytes = encode('\ufeffHi é\r\nthere 🐳\rend\r\n');
    const corpus = parseTextCorpus(bytes, { source: 'corpus.txt' });
    expect(corpus.text).toBe('Hi é\nthere 🐳\nend\n');
    expect(corpus.summary).toEqual({
      bytes: bytes.length, // 3 (BOM) + 5 + 2 + 10 + 1 + 3 + 2 = 26
      characters: 17, // 'Hi é\n' 5 + 'there 🐳\n' 8 + 'end\n' 4: the whale is one code point, two UTF-16 units
      distinctCharacters: 12, // H i space é \n t h e r 🐳 n d
      lines: 3,
    });
    expect(bytes.length).toBe(26);
  });

  it('counts the distinct characters exactly', () => {
    expect(summarizeText('aab\n')).toEqual({ bytes: 4, characters: 4, distinctCharacters: 3, lines: 1 });
    expect(summarizeText('a\nb')).toEqual({ bytes: 3, characters: 3, distinctCharacters: 3, lines: 2 });
  });

  it('refuses empty, whitespace-only, binary, non-UTF-8 and oversized input, naming the source', () => {
    expect(parseError(new Uint8Array()).message).toBe('corpus.txt: the file is empty');
    expect(parseError(encode(' \r\n\t\n')).message).toBe('corpus.txt: the text holds only whitespace');
    expect(parseError(encode('ab\0c')).message).toBe('corpus.txt: contains a NUL byte at offset 2: binary data, not text');
    expect(parseError(Uint8Array.from([0x61, 0x0a, 0x62, 0xe9, 0x74, 0xe9])).message).toBe('corpus.txt line 2: not UTF-8 text (byte 0xe9 at offset 3); upload plain text saved as UTF-8');
    const tooBig = parseError(encode('x'.repeat(1001)), 1000);
    expect(tooBig.message).toBe('corpus.txt: the text is 1,001 bytes; at most 1,000 bytes are accepted');
    expect(tooBig.file).toBe('corpus.txt');
  });

  it('accepts exactly maxBytes', () => {
    expect(parseTextCorpus(encode('x'.repeat(1000)), { source: 'c', maxBytes: 1000 }).summary.characters).toBe(1000);
  });
});

describe('line breaks', () => {
  it('normalises every kind of line break once', () => {
    expect(normalizeLineBreaks('a\r\n\r\nb\r\rc\n')).toBe('a\n\nb\n\nc\n');
  });

  it('counts lines without a phantom last line', () => {
    expect([countLines(''), countLines('a'), countLines('a\n'), countLines('a\nb'), countLines('\n\n')]).toEqual([0, 1, 1, 2, 2]);
  });
});
