import { describe, expect, it } from 'vitest';
import { DatasetParseError } from './errors.ts';
import { parsePriceCsv } from './parse-price-csv.ts';
import { seededRandom } from './testing/seeded-random.ts';
import { decodeUtf8Strict } from './utf8.ts';

const encode = (text: string) => new TextEncoder().encode(text);

/** The first bytes of a PNG: signature, then the IHDR chunk of a 1×1 image. */
const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15,
  0xc4, 0x89,
]);

function decodeError(bytes: Uint8Array): DatasetParseError {
  try {
    decodeUtf8Strict(bytes, 'up.csv');
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetParseError);
    return error as DatasetParseError;
  }
  throw new Error('expected a DatasetParseError');
}

describe('decodeUtf8Strict', () => {
  it('decodes UTF-8 and drops a BOM', () => {
    expect(decodeUtf8Strict(Uint8Array.from([0xef, 0xbb, 0xbf, ...encode('Date,Close\nÉté,1')]), 'a.csv')).toBe('Date,Close\nÉté,1');
    expect(decodeUtf8Strict(new Uint8Array(0), 'a.csv')).toBe('');
  });

  it('refuses Latin-1 text, naming the line and the byte', () => {
    const bytes = Uint8Array.from([...encode('Date,Close\n2017-01-01,1\nCaf'), 0xe9, ...encode(',2\n')]);
    expect(decodeError(bytes).message).toBe('up.csv line 3: not UTF-8 text (byte 0xe9 at offset 27); upload CSV text saved as UTF-8');
  });

  it('points at the start of a broken sequence, and at a truncated one at the end', () => {
    // E2 82 starts a 3-byte sequence ("€" is E2 82 AC) that 0x41 breaks
    expect(decodeError(Uint8Array.from([0x61, 0xe2, 0x82, 0x41])).problem).toContain('byte 0xe2 at offset 1');
    expect(decodeError(Uint8Array.from([0x61, 0x0a, 0x62, 0xe2, 0x82])).message).toBe('up.csv line 2: not UTF-8 text (byte 0xe2 at offset 3); upload CSV text saved as UTF-8');
  });

  it('refuses a PNG', () => {
    expect(decodeError(PNG).message).toBe('up.csv line 1: not UTF-8 text (byte 0x89 at offset 0); upload CSV text saved as UTF-8');
  });

  it('turns random bytes into a DatasetParseError, never a crash', () => {
    const random = seededRandom(7);
    for (let attempt = 0; attempt < 300; attempt++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * (attempt % 3 ? 256 : 128)));
      try {
        parsePriceCsv(decodeUtf8Strict(bytes, 'noise.bin'), { file: 'noise.bin' });
        throw new Error('random bytes parsed as prices');
      } catch (error) {
        expect(error).toBeInstanceOf(DatasetParseError);
      }
    }
  });

  it('lets the parser refuse binary text that was decoded leniently', () => {
    // the PNG signature holds CR LF and LF, so the first NUL is on line 3
    const text = new TextDecoder().decode(PNG);
    expect(() => parsePriceCsv(text, { file: 'image.png' })).toThrow('image.png line 3: contains NUL bytes: binary data, not CSV text');
  });
});
