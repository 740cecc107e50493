import { DatasetParseError } from '../errors.ts';
import { decodeUtf8Strict } from '../utf8.ts';

/** Options of {@link parseWordVectors}. */
export interface ParseWordVectorsOptions {
  /** Name used in error messages (usually the uploaded file's name). */
  source: string;
  /**
   * `glove`: `word v1 … vd` on every line. `word2vec`: the same after a `count dimension` header
   * line. `auto` reads a first line of exactly two whole numbers as that header.
   * @defaultValue 'auto'
   */
  format?: 'auto' | 'glove' | 'word2vec';
  /**
   * Keep only the first words (such files are sorted by frequency); the rest is not read.
   * @defaultValue no limit
   */
  maxWords?: number;
  /**
   * Largest accepted vector length.
   * @defaultValue 1000
   */
  maxDimension?: number;
}

/** Pre-trained word vectors in one compact buffer. */
export interface WordVectors {
  format: 'glove' | 'word2vec';
  /** Values per vector. */
  dimension: number;
  /** In file order; unique. */
  words: string[];
  /** Shape `[words.length, dimension]`, row-major: the vector of `words[i]` starts at `i * dimension`. */
  vectors: Float32Array;
  /** Later lines that repeated a word already read; the first vector was kept. */
  duplicatesSkipped: number;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHOLE = /^\d+$/;
const SEPARATORS = /[ \t]+/;

/**
 * Reads GloVe or word2vec text-format word vectors. Tokens are separated by spaces or tabs, so a
 * word cannot hold one; CRLF, a BOM, trailing spaces and blank lines are fine.
 * @throws DatasetParseError naming the line for a value that is not a number, a vector whose
 *   length differs from the first one's (or the header's), a dimension above `maxDimension`,
 *   invalid UTF-8 (binary word2vec files get a hint), a header whose count the lines do not
 *   match, or a file without vectors
 */
export function parseWordVectors(input: Uint8Array | string, options: ParseWordVectorsOptions): WordVectors {
  const { source: file, format: requested = 'auto', maxWords = Number.POSITIVE_INFINITY, maxDimension = 1000 } = options;
  if (!(maxWords >= 1) || !(maxDimension >= 1)) throw new RangeError(`maxWords and maxDimension must be at least 1, got ${maxWords} and ${maxDimension}`);
  let format: WordVectors['format'] | undefined = requested === 'auto' ? undefined : requested;
  let dimension = 0;
  let dimensionLine = 0;
  let declaredCount: number | undefined;
  const words: string[] = [];
  const seen = new Set<string>();
  let vectors: Float32Array<ArrayBuffer> = new Float32Array(0);
  let duplicatesSkipped = 0;
  let vectorLines = 0;
  let truncated = false;

  const fail = (line: number, problem: string): never => {
    throw new DatasetParseError({ file, line, problem });
  };
  const setDimension = (value: number, line: number, what: string) => {
    if (value < 1) fail(line, `${what} has no values: expected a word followed by numbers`);
    if (value > maxDimension) {
      fail(line, `${what} gives ${value.toLocaleString('en-US')} values per vector; at most ${maxDimension.toLocaleString('en-US')} are accepted`);
    }
    dimension = value;
    dimensionLine = line;
  };

  for (const { line, text } of readLines(input, file, () => format === 'word2vec')) {
    const tokens = text.trim().split(SEPARATORS);
    if (tokens[0] === '') continue;
    if (format !== 'glove' && declaredCount === undefined && vectorLines === 0) {
      const isHeader = tokens.length === 2 && WHOLE.test(tokens[0]!) && WHOLE.test(tokens[1]!);
      if (isHeader) {
        format = 'word2vec';
        declaredCount = Number(tokens[0]);
        if (Number(tokens[1]) === 0) fail(line, 'the header declares a dimension of 0');
        setDimension(Number(tokens[1]), line, 'the header');
        continue;
      }
      if (format === 'word2vec') fail(line, `expected a word2vec header "<word count> <dimension>", found ${JSON.stringify(text.slice(0, 40))}`);
      format = 'glove';
    }
    if (words.length >= maxWords) {
      truncated = true;
      break;
    }
    vectorLines++;
    const word = tokens[0]!;
    const values = tokens.length - 1;
    if (dimension === 0) setDimension(values, line, `the vector of ${JSON.stringify(word)}`);
    else if (values !== dimension) {
      const expected = dimensionLine === line ? '' : ` like line ${dimensionLine}`;
      fail(line, `the vector of ${JSON.stringify(word)} has ${values} values; expected ${dimension}${expected}`);
    }
    if (seen.has(word)) {
      duplicatesSkipped++;
      continue;
    }
    const offset = words.length * dimension;
    if (offset + dimension > vectors.length) {
      // a header's count sizes the first buffer, within reason: it may be a lie or far above maxWords
      const firstRows = Math.min(declaredCount ?? 1024, maxWords, 65_536);
      vectors = grow(vectors, Math.max(offset + dimension, vectors.length * 2, firstRows * dimension));
    }
    for (let j = 1; j <= dimension; j++) {
      const token = tokens[j]!;
      const value = Number(token);
      if (!Number.isFinite(value) || !NUMBER.test(token)) {
        fail(line, `value ${j} of ${JSON.stringify(word)} is not a number: ${JSON.stringify(token.slice(0, 40))}`);
      }
      vectors[offset + j - 1] = value;
    }
    seen.add(word);
    words.push(word);
  }

  if (words.length === 0) {
    throw new DatasetParseError({ file, problem: vectorLines === 0 && dimension === 0 ? 'the file is empty' : 'the file holds no vectors' });
  }
  if (declaredCount !== undefined && !truncated && vectorLines !== declaredCount) {
    fail(1, `the header declares ${declaredCount.toLocaleString('en-US')} words but the file holds ${vectorLines.toLocaleString('en-US')}`);
  }
  return { format: format ?? 'glove', dimension, words, vectors: vectors.slice(0, words.length * dimension), duplicatesSkipped };
}

function grow(vectors: Float32Array<ArrayBuffer>, size: number): Float32Array<ArrayBuffer> {
  const larger = new Float32Array(size);
  larger.set(vectors);
  return larger;
}

/**
 * Lines of a text or of UTF-8 bytes, decoded one at a time so that `maxWords` stops the work
 * early on a large upload. A trailing CR is dropped.
 * @param binaryHint whether invalid UTF-8 should be explained as a binary word2vec file
 */
function* readLines(input: Uint8Array | string, file: string, binaryHint: () => boolean): Generator<{ line: number; text: string }> {
  let line = 0;
  if (typeof input === 'string') {
    let start = input.charCodeAt(0) === 0xfeff ? 1 : 0;
    while (start < input.length) {
      const end = input.indexOf('\n', start);
      const stop = end < 0 ? input.length : end;
      line++;
      yield { line, text: stripCr(input.slice(start, stop)) };
      start = stop + 1;
    }
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  while (start < input.length) {
    const end = input.indexOf(10, start);
    const stop = end < 0 ? input.length : end;
    line++;
    let text: string;
    try {
      text = decoder.decode(input.subarray(start, stop));
    } catch {
      throw invalidUtf8Error(input.subarray(0, stop), file, line, binaryHint());
    }
    yield { line, text: stripCr(text) };
    start = stop + 1;
  }
}

/** The error for the first invalid byte of `prefix`, whose lines before the last are valid. */
function invalidUtf8Error(prefix: Uint8Array, file: string, line: number, binaryWord2vec: boolean): DatasetParseError {
  try {
    decodeUtf8Strict(prefix, file, 'word vectors as text'); // names the line and byte offset
  } catch (error) {
    if (!(error instanceof DatasetParseError)) throw error;
    if (!binaryWord2vec) return error;
    return new DatasetParseError({ file, line, problem: `${error.problem}; this looks like a binary word2vec file: save it with binary=False` });
  }
  return new DatasetParseError({ file, line, problem: 'not UTF-8 text' });
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
