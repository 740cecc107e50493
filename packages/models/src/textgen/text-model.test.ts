import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { ModelError } from '../errors.ts';
import { TEXT_MODEL_FORMAT_VERSION } from './io.ts';
import { loadTextModel, type TextModel } from './text-model.ts';
import { trainTextModel } from './train.ts';

const corpus = readFileSync(new URL('./fixtures/tiny-shakespeare-excerpt.txt', import.meta.url), 'utf8').slice(0, 10_000);
let baseline: number;
let model: TextModel;

beforeAll(async () => {
  await initBackend('auto');
  baseline = tf.memory().numTensors;
  model = await trainTextModel(corpus, {
    params: { cell: 'lstm', layers: 2, units: 24, seqLength: 24, batchSize: 32, learningRate: 0.01, epochs: 4 },
    seed: 3,
    sampleLength: 0,
  });
});

afterAll(() => model?.dispose());

const fieldError = (field: string, message: RegExp) => expect.objectContaining({ name: 'ModelConfigError', field, message: expect.stringMatching(message) });

describe('TextModel.generate', () => {
  it('writes `length` characters of the vocabulary, the same for the same seed', async () => {
    const options = { seedText: 'First Citizen:\n', length: 150, temperature: 0.8, randomSeed: 42 };
    const text = await model.generate(options);
    expect(Array.from(text)).toHaveLength(150);
    expect([...text].every((c) => model.vocabulary.characters.includes(c))).toBe(true);
    expect(await model.generate(options)).toBe(text);
    const others = await Promise.all([43, 44, 45].map((randomSeed) => model.generate({ ...options, randomSeed })));
    expect(new Set([text, ...others]).size).toBe(4);
  });

  it('lets timers run while it generates, and stops between steps when aborted', async () => {
    const before = tf.memory().numTensors;
    let ticks = 0;
    const timer = setInterval(() => void ticks++, 1);
    const started = performance.now();
    const text = await model.generate({ seedText: 'First Citizen:\n'.repeat(20), length: 2000, randomSeed: 9 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(Array.from(text)).toHaveLength(2000);
    // The loop yields every 25 ms of steps at most; a generous floor (a shared CI core may pause us).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 250));
    expect(ticks).toBeGreaterThan(1);
    const controller = new AbortController();
    setTimeout(() => controller.abort('shutdown'), 5);
    await expect(model.generate({ seedText: 'the ', length: 2000, randomSeed: 1, signal: controller.signal })).rejects.toMatchObject({ name: 'TrainingCancelledError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sharpens with a low temperature and follows topK', async () => {
    const distinct = async (temperature: number) => new Set(await model.generate({ seedText: 'the ', length: 400, temperature, randomSeed: 1 })).size;
    expect(await distinct(0.2)).toBeLessThan(await distinct(2));
    // topK 1 is greedy: the seed and the temperature no longer matter.
    const topOne = (randomSeed: number, temperature: number) => model.generate({ seedText: 'the ', length: 60, temperature, topK: 1, randomSeed });
    const greedy = await topOne(1, 2);
    expect(await topOne(2, 0.5)).toBe(greedy);
    // topK 3 leaves a choice, but only among the three likeliest characters at each step.
    const topThree = await Promise.all([1, 2, 3, 4].map((randomSeed) => model.generate({ seedText: 'the ', length: 60, temperature: 2, topK: 3, randomSeed })));
    expect(new Set(topThree).size).toBeGreaterThan(1);
    const all = await Promise.all([1, 2, 3, 4].map((randomSeed) => model.generate({ seedText: 'the ', length: 60, temperature: 2, randomSeed })));
    expect(new Set(topThree.join('')).size).toBeLessThan(new Set(all.join('')).size);
  });

  it('reads characters it never saw in the seed without failing', async () => {
    expect(model.vocabulary.encode('€ü🎭').every((i) => i === -1)).toBe(true);
    const text = await model.generate({ seedText: 'Zwölf € 🎭 and\tmore', length: 40, randomSeed: 1 });
    expect(Array.from(text)).toHaveLength(40);
    // A seed of unseen characters only: the network starts from all-zero inputs (see network.test.ts).
    expect(await model.generate({ seedText: '🎭', length: 5, randomSeed: 1 })).toHaveLength(5);
  });

  it('streams exactly the generated text, awaiting the callback', async () => {
    const chunks: string[] = [];
    const text = await model.generate({
      seedText: 'MENENIUS:',
      length: 100,
      randomSeed: 7,
      onText: async (chunk) => {
        await new Promise((resolve) => setImmediate(resolve));
        chunks.push(chunk);
      },
    });
    expect(chunks).toHaveLength(100);
    expect(chunks.join('')).toBe(text);
  });

  it('rejects bad options naming the field', async () => {
    const ok = { seedText: 'a', length: 10 };
    await expect(model.generate({ ...ok, temperature: 0 })).rejects.toThrow(fieldError('temperature', /must be > 0, got 0/));
    await expect(model.generate({ ...ok, temperature: 2.01 })).rejects.toThrow(fieldError('temperature', /must be <= 2/));
    await expect(model.generate({ ...ok, length: 0 })).rejects.toThrow(fieldError('length', /must be >= 1/));
    await expect(model.generate({ ...ok, length: 2001 })).rejects.toThrow(fieldError('length', /must be <= 2000/));
    await expect(model.generate({ ...ok, length: 1.5 })).rejects.toThrow(fieldError('length', /must be an integer/));
    await expect(model.generate({ ...ok, topK: 0 })).rejects.toThrow(fieldError('topK', /must be >= 1/));
    await expect(model.generate({ ...ok, seedText: '' })).rejects.toThrow(fieldError('seedText', /must be >= 1/));
    await expect(model.generate({ ...ok, randomSeed: 0.5 })).rejects.toThrow(fieldError('randomSeed', /must be an integer/));
    expect(await model.generate({ ...ok, temperature: 2 })).toHaveLength(10);
  });
});

describe('TextModel save and load', () => {
  it('round-trips through ArtifactIO and generates the same text for the same seed', async () => {
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()].sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const metadata = JSON.parse(new TextDecoder().decode(io.files.get('metadata.json')));
    expect(metadata).toMatchObject({ format: 'mlq-textgen-model', formatVersion: TEXT_MODEL_FORMAT_VERSION, seed: 3, params: { cell: 'lstm', units: 24 } });
    expect(metadata.vocabulary).toEqual(model.vocabulary.characters);
    expect(metadata.metrics.history).toHaveLength(4);

    const loaded = await loadTextModel(io);
    expect(loaded.metadata).toEqual(model.metadata);
    expect(loaded.byteSize()).toBe(model.byteSize());
    const options = { seedText: 'CORIOLANUS:', length: 200, temperature: 0.7, topK: 10, randomSeed: 5 };
    expect(await loaded.generate(options)).toBe(await model.generate(options));
    loaded.dispose();
    loaded.dispose(); // idempotent
    await expect(loaded.generate(options)).rejects.toThrow(/disposed/);
    await expect(loaded.save(memoryArtifacts())).rejects.toThrow(/disposed/);
  });

  it('explains what is wrong with stored artifacts', async () => {
    const io = memoryArtifacts();
    await model.save(io);
    const withMetadata = (edit: (m: Record<string, unknown>) => void) => {
      const metadata = JSON.parse(new TextDecoder().decode(io.files.get('metadata.json')));
      edit(metadata);
      return memoryArtifacts(new Map([...io.files, ['metadata.json', new TextEncoder().encode(JSON.stringify(metadata))]]));
    };
    await expect(loadTextModel(memoryArtifacts())).rejects.toThrow(/metadata.json cannot be read/);
    await expect(loadTextModel(withMetadata((m) => (m.format = 'mlq-price-model')))).rejects.toThrow(/metadata.json is not a text model \(format mlq-price-model/);
    await expect(loadTextModel(withMetadata((m) => (m.formatVersion = 99)))).rejects.toThrow(/format version 99 is not supported/);
    await expect(loadTextModel(withMetadata((m) => (m.vocabulary = ['a', 'b'])))).rejects.toThrow(/do not fit a LSTM of 24 units over 2 characters/);
    await expect(loadTextModel(withMetadata((m) => ((m.params as Record<string, unknown>).layers = 7)))).rejects.toThrow(/bad params: layers must be <= 3/);
    await expect(loadTextModel(withMetadata((m) => ((m.params as Record<string, unknown>).cell = 'gru')))).rejects.toThrow(ModelError);
    const noWeights = memoryArtifacts(new Map([...io.files].filter(([name]) => name !== 'weights.bin')));
    await expect(loadTextModel(noWeights)).rejects.toThrow(/model.json or weights.bin of a text model cannot be loaded/);
  });
});

describe('TextModel memory', () => {
  it('leaves no tensor behind after training, 100 generations and dispose', async () => {
    for (let i = 0; i < 100; i++) await model.generate({ seedText: 'So', length: 20, randomSeed: i, topK: i % 3 === 0 ? 5 : undefined });
    // Only the network's variables remain: 3 per LSTM layer, 2 for the output layer.
    expect(tf.memory().numTensors).toBe(baseline + model.params.layers * 3 + 2);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
