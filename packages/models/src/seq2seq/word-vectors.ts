import { ModelConfigError } from '../errors.ts';
import { PAD_ID, SPECIAL_TOKENS, type Tokenizer } from './tokenizer.ts';

/**
 * Pre-trained word vectors (GloVe, word2vec), already parsed: row `i` of `vectors`
 * (row-major, `words.length × dimension`) belongs to `words[i]`. Structurally the type the
 * datasets package's parser returns.
 */
export interface WordVectors {
  dimension: number;
  words: string[];
  vectors: Float32Array;
}

/** How much of the vocabulary the word vectors cover. */
export interface EmbeddingCoverage {
  /** Vocabulary words (special tokens excluded) that got a pre-trained vector. */
  found: number;
  /** Vocabulary words, special tokens excluded. */
  total: number;
  /** `found / total` (0 for an empty vocabulary). */
  ratio: number;
  dimension: number;
}

/** Throws `ModelConfigError('wordVectors', …)` unless the vectors are well formed and `embeddingSize` wide. */
export function checkWordVectors(wordVectors: WordVectors, embeddingSize: number): void {
  const { dimension, words, vectors } = wordVectors;
  if (!Number.isInteger(dimension) || dimension < 1) throw new ModelConfigError('wordVectors', `dimension must be a positive integer, got ${String(dimension)}`);
  if (dimension !== embeddingSize) {
    throw new ModelConfigError(
      'wordVectors',
      `have dimension ${dimension} but embeddingSize is ${embeddingSize}; set embeddingSize to ${dimension} or use ${embeddingSize}-dimensional vectors`,
    );
  }
  if (!Array.isArray(words) || !(vectors instanceof Float32Array)) throw new ModelConfigError('wordVectors', 'need words (string[]) and vectors (Float32Array)');
  if (vectors.length !== words.length * dimension) {
    throw new ModelConfigError('wordVectors', `vectors hold ${vectors.length} numbers, expected words.length × dimension = ${words.length * dimension}`);
  }
}

/**
 * Row of each word in the vectors. The vocabulary is lower-case while word2vec keeps case, so a
 * word also answers to its lower-case form unless that form has a row of its own; files list
 * frequent words first, and the first row wins.
 */
function indexWords(words: readonly string[]): Map<string, number> {
  const rows = new Map<string, number>();
  words.forEach((word, row) => {
    if (!rows.has(word)) rows.set(word, row);
  });
  words.forEach((word, row) => {
    const lower = word.toLowerCase();
    if (!rows.has(lower)) rows.set(lower, row);
  });
  return rows;
}

/** Standard deviation of all vector components, so random rows match the pre-trained ones' scale. */
function componentStd(vectors: Float32Array): number {
  if (vectors.length === 0) return 0;
  let sum = 0;
  let sumSquares = 0;
  for (const value of vectors) {
    sum += value;
    sumSquares += value * value;
  }
  const mean = sum / vectors.length;
  return Math.sqrt(Math.max(0, sumSquares / vectors.length - mean * mean));
}

/**
 * The initial embedding matrix, `[tokenizer.size, embeddingSize]` row-major: `<pad>`'s row is
 * zero; vocabulary words found in `wordVectors` get their vector; the rest are uniform random,
 * ±0.05 (tfjs' default) or, with word vectors, with the same variance as theirs. Throws
 * `ModelConfigError('wordVectors', …)` on a malformed set or a non-finite value in a used vector.
 */
export function createEmbeddingMatrix(
  tokenizer: Tokenizer,
  embeddingSize: number,
  random: () => number,
  wordVectors?: WordVectors,
): { matrix: Float32Array; coverage: EmbeddingCoverage | null } {
  if (wordVectors) checkWordVectors(wordVectors, embeddingSize);
  const std = wordVectors ? componentStd(wordVectors.vectors) : 0;
  const limit = std > 0 ? Math.sqrt(3) * std : 0.05;
  const matrix = new Float32Array(tokenizer.size * embeddingSize);
  for (let i = 0; i < matrix.length; i++) matrix[i] = (2 * random() - 1) * limit;
  matrix.fill(0, PAD_ID * embeddingSize, (PAD_ID + 1) * embeddingSize);
  if (!wordVectors) return { matrix, coverage: null };

  const rows = indexWords(wordVectors.words);
  let found = 0;
  for (let id = SPECIAL_TOKENS.length; id < tokenizer.size; id++) {
    const row = rows.get(tokenizer.tokenOf(id));
    if (row === undefined) continue;
    const vector = wordVectors.vectors.subarray(row * embeddingSize, (row + 1) * embeddingSize);
    if (!vector.every(Number.isFinite)) throw new ModelConfigError('wordVectors', `the vector of "${wordVectors.words[row]}" holds a value that is not a finite number`);
    matrix.set(vector, id * embeddingSize);
    found++;
  }
  const total = tokenizer.size - SPECIAL_TOKENS.length;
  return { matrix, coverage: { found, total, ratio: total === 0 ? 0 : found / total, dimension: embeddingSize } };
}
