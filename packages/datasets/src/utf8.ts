import { DatasetParseError } from './errors.ts';

/**
 * Decodes bytes as UTF-8, refusing anything else (binary files, Latin-1 exports) instead of
 * letting replacement characters into the data. A leading BOM is dropped.
 * @param file name used in the error message
 * @param kind what the file should hold, for the hint at the end of the message
 * @throws DatasetParseError naming the line and offset of the first invalid byte
 */
export function decodeUtf8Strict(bytes: Uint8Array, file: string, kind = 'CSV text'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidOffset(bytes);
    const valid = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    let line = 1;
    for (let i = valid.indexOf('\n'); i >= 0; i = valid.indexOf('\n', i + 1)) line++;
    const byte = bytes[offset] ?? 0;
    throw new DatasetParseError({
      file,
      line,
      problem: `not UTF-8 text (byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset}); upload ${kind} saved as UTF-8`,
    });
  }
}

/**
 * Offset where the first invalid or truncated sequence starts. A streaming decode accepts an
 * incomplete sequence at the end, so "this prefix decodes" is monotone and a binary search finds
 * the first byte that cannot continue; stepping back to the last complete prefix (at most 3 bytes)
 * finds where that sequence began.
 */
function firstInvalidOffset(bytes: Uint8Array): number {
  let good = 0; // a prefix length known to stream-decode
  let bad = bytes.length + 1; // a prefix length known (or assumed) to fail
  while (bad - good > 1) {
    const mid = (good + bad) >>> 1;
    if (decodes(bytes.subarray(0, mid), true)) good = mid;
    else bad = mid;
  }
  let offset = good;
  while (offset > 0 && !decodes(bytes.subarray(0, offset), false)) offset--;
  return offset;
}

function decodes(bytes: Uint8Array, stream: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream });
    return true;
  } catch {
    return false;
  }
}
