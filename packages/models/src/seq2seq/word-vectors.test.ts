import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { ModelConfigError } from '../errors.ts';
import { memoryArtifacts } from '../io.ts';
import { createRandom } from '../samples/synthetic.ts';
import type { ChatModel } from './chat-model.ts';
import { layerNames } from './model.ts';
import { smallTalkPairs } from './small-talk.ts';
import { Tokenizer } from './tokenizer.ts';
import { trainChatModel } from './train.ts';
import { createEmbeddingMatrix, type WordVectors } from './word-vectors.ts';

beforeAll(() => initBackend('auto'));

/** Vectors `[id, id + 0.5, -id, 1]`-like rows, easy to recognise. */
function vectorsFor(words: string[], dimension = 4): WordVectors {
  const vectors = new Float32Array(words.length * dimension);
  words.forEach((_, row) =>
    vectors.set(
      Array.from({ length: dimension }, (__, k) => (row + 1) * (k % 2 ? -0.1 : 0.1) + k * 0.01),
      row * dimension,
    ),
  );
  return { dimension, words, vectors };
}

/** The embedding matrix as saved in weights.bin (found by name in model.json's manifest; all weights are float32). */
async function savedEmbedding(model: ChatModel): Promise<Float32Array> {
  const io = memoryArtifacts();
  await model.save(io);
  const specs: Array<{ name: string; shape: number[] }> = JSON.parse(new TextDecoder().decode(io.files.get('model.json'))).weightsManifest[0].weights;
  const weights = new Float32Array(io.files.get('weights.bin')!.slice().buffer);
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name.startsWith(`${layerNames.embedding}/`)) return weights.slice(offset, offset + size);
    offset += size;
  }
  throw new Error('no embedding in model.json');
}

const rowOf = (vectors: WordVectors, word: string) =>
  Array.from(vectors.vectors.subarray(vectors.words.indexOf(word) * vectors.dimension, (vectors.words.indexOf(word) + 1) * vectors.dimension));

describe('createEmbeddingMatrix', () => {
  const tokenizer = Tokenizer.fit(['hello there friend', 'hello you'], { maxVocabulary: 20, maxInputLength: 5, maxReplyLength: 5 });

  it('copies the vectors of covered words, zeroes <pad> and reports coverage', () => {
    const vectors = vectorsFor(['the', 'Hello', 'friend', 'hello', 'There']);
    const { matrix, coverage } = createEmbeddingMatrix(tokenizer, 4, createRandom(1), vectors);
    const row = (token: string) => Array.from(matrix.subarray(tokenizer.idOf(token) * 4, (tokenizer.idOf(token) + 1) * 4));
    expect(coverage).toEqual({ found: 3, total: 4, ratio: 0.75, dimension: 4 });
    expect(row('hello')).toEqual(rowOf(vectors, 'hello')); // the exact word wins over a capitalised one
    expect(row('there')).toEqual(rowOf(vectors, 'There')); // word2vec keeps case: fall back to the lower-cased form
    expect(row('friend')).toEqual(rowOf(vectors, 'friend'));
    expect(Array.from(matrix.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(row('you').every((v) => v !== 0 && Math.abs(v) < 0.5)).toBe(true); // random, on the vectors' scale
  });

  it('is random (±0.05) but seeded without vectors', () => {
    const first = createEmbeddingMatrix(tokenizer, 3, createRandom(1));
    expect(first.coverage).toBeNull();
    expect(createEmbeddingMatrix(tokenizer, 3, createRandom(1)).matrix).toEqual(first.matrix);
    expect(Array.from(first.matrix.subarray(3)).every((v) => Math.abs(v) <= 0.05 && v !== 0)).toBe(true);
  });

  it('rejects vectors of another dimension, of the wrong length or not finite, naming wordVectors', () => {
    expect(() => createEmbeddingMatrix(tokenizer, 8, createRandom(1), vectorsFor(['hello'], 4))).toThrow(
      new ModelConfigError('wordVectors', 'have dimension 4 but embeddingSize is 8; set embeddingSize to 4 or use 8-dimensional vectors'),
    );
    expect(() => createEmbeddingMatrix(tokenizer, 4, createRandom(1), { dimension: 4, words: ['a', 'b'], vectors: new Float32Array(7) })).toThrow(
      /vectors hold 7 numbers, expected words.length × dimension = 8/,
    );
    const broken = vectorsFor(['hello', 'you']);
    broken.vectors[5] = Number.NaN;
    expect(() => createEmbeddingMatrix(tokenizer, 4, createRandom(1), broken)).toThrow(new ModelConfigError('wordVectors', 'the vector of "you" holds a value that is not a finite number'));
  });
});

describe('training with word vectors', () => {
  const words = [...new Set(smallTalkPairs.flatMap((pair) => `${pair.input} ${pair.reply}`.split(' ')))].filter((word) => /^[a-z]+$/.test(word));
  const vectors = vectorsFor(['unrelated', ...words], 8);
  const params = { embeddingSize: 8, units: 16, epochs: 2, batchSize: 8, learningRate: 0.05, dropout: 0, validationSplit: 0 };
  let frozen: ChatModel;

  beforeAll(async () => {
    frozen = await trainChatModel(smallTalkPairs, { seed: 1, params: { ...params, freezeEmbeddings: true }, wordVectors: vectors });
  });
  afterAll(() => frozen?.dispose());

  it('keeps frozen embeddings equal to the vectors and reports coverage', async () => {
    expect(frozen.metadata.embeddingCoverage).toMatchObject({ found: words.length, dimension: 8 });
    expect(frozen.metadata.embeddingCoverage!.total).toBe(frozen.tokenizer.size - 4);
    const embedding = await savedEmbedding(frozen);
    expect(embedding).toHaveLength(frozen.tokenizer.size * 8);
    for (const word of ['pizza', 'food', 'movie']) {
      const id = frozen.tokenizer.idOf(word);
      expect(Array.from(embedding.subarray(id * 8, (id + 1) * 8))).toEqual(rowOf(vectors, word));
    }
  });

  it('fine-tunes unfrozen embeddings away from the vectors', async () => {
    const tuned = await trainChatModel(smallTalkPairs, { seed: 1, params, wordVectors: vectors });
    const embedding = await savedEmbedding(tuned);
    const id = tuned.tokenizer.idOf('pizza');
    const row = Array.from(embedding.subarray(id * 8, (id + 1) * 8));
    expect(row).not.toEqual(rowOf(vectors, 'pizza'));
    expect(row.map((v, k) => Math.abs(v - rowOf(vectors, 'pizza')[k]!)).every((d) => d < 0.5)).toBe(true); // moved, not replaced
    tuned.dispose();
  });

  it('rejects vectors whose dimension is not the embedding size', async () => {
    await expect(trainChatModel(smallTalkPairs, { params: { ...params, embeddingSize: 16 }, wordVectors: vectors })).rejects.toMatchObject({
      name: 'ModelConfigError',
      field: 'wordVectors',
      message: expect.stringContaining('have dimension 8 but embeddingSize is 16'),
    });
  });
});
