import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { ModelConfigError, ModelError, TrainingCancelledError } from '../errors.ts';
import { memoryArtifacts } from '../io.ts';
import { setRecurrentImplementation, type RecurrentImplementation } from '../recurrent/fast-layers.ts';
import { loadChatModel, type ChatModel, type ChatReply } from './chat-model.ts';
import { evaluateTokenAccuracy } from './evaluate.ts';
import { smallTalkPairs } from './small-talk.ts';
import { SPECIAL_TOKENS } from './tokenizer.ts';
import { trainChatModel, type Seq2SeqProgress } from './train.ts';

beforeAll(() => initBackend('auto'));

// Learns the 28 pairs by heart in about 10 s on two cores (wasm).
const memorise = { embeddingSize: 16, units: 64, epochs: 40, batchSize: 8, learningRate: 0.02, dropout: 0, validationSplit: 0, maxInputLength: 10, maxReplyLength: 10 };
const probes = ['hi', 'how was the trip?'];
const strangers = ['xyzzy qwerty', 'zebra', '¿¿¿', '😂', 'Привет мир', 'https://example.com', 'a'.repeat(500), 'hi '.repeat(300)];

let model: ChatModel;
const progress: Seq2SeqProgress[] = [];

beforeAll(async () => {
  model = await trainChatModel(smallTalkPairs, { seed: 1, params: { ...memorise, probes }, onEpochEnd: (p) => void progress.push(p) });
});
afterAll(() => model?.dispose());

const tokensOf = (replies: ChatReply | ChatReply[]) => (Array.isArray(replies) ? replies : [replies]).flatMap((reply) => reply.tokens);

describe('a chat model trained on a small chat history', () => {
  it('reproduces the trained replies: greedy token accuracy ≥ 90%', async () => {
    const report = await evaluateTokenAccuracy(model, smallTalkPairs);
    expect(report.pairs).toBe(28);
    expect(report.total).toBe(smallTalkPairs.reduce((sum, pair) => sum + model.tokenizer.encodeReply(pair.reply).ids.length + 1, 0));
    expect(report.tokenAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(model.reply('how was the trip?').text).toBe('amazing, the food was great');
    expect(model.metrics.tokenAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(model.metadata.pairs).toEqual({ training: 28, validation: 0, skipped: 0 });
  });

  it('replies the same when it returns to the event loop between decoder steps, and stops when aborted', async () => {
    const baseline = tf.memory().numTensors;
    for (const message of ['how was the trip?', 'hi', 'unknown words here']) {
      expect(await model.replyAsync(message)).toEqual([model.reply(message)]);
      const beam = { strategy: 'beam', beamWidth: 4, n: 3, lengthPenalty: 0.5 } as const;
      expect(await model.replyAsync(message, beam)).toEqual(model.reply(message, beam));
    }
    const controller = new AbortController();
    controller.abort('shutdown');
    await expect(model.replyAsync('hi', {}, { signal: controller.signal })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('reported every epoch with its loss, accuracy and replies to the probes', () => {
    expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const p of progress) {
      expect(p).toMatchObject({ epochs: 40, valLoss: null });
      expect(p.probes.map((probe) => probe.input)).toEqual(probes);
      expect(p.probes.every((probe) => typeof probe.reply === 'string')).toBe(true);
    }
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss / 10);
    expect(progress.at(-1)!.probes).toEqual([
      { input: 'hi', reply: 'hey! how are you?' },
      { input: 'how was the trip?', reply: 'amazing, the food was great' },
    ]);
    expect(progress[0]!.probes.map((probe) => probe.reply)).not.toEqual(['hey! how are you?', 'amazing, the food was great']);
  });

  it('beam search returns its n best distinct replies, best first, the best at least as likely as greedy', () => {
    for (const { input } of smallTalkPairs) {
      const greedy = model.reply(input);
      const beams = model.reply(input, { strategy: 'beam', beamWidth: 4, n: 3 });
      expect(beams).toHaveLength(3);
      expect(new Set(beams.map((beam) => beam.text)).size).toBe(3);
      const scores = beams.map((beam) => beam.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(beams.every((beam) => beam.score === beam.logProb && beam.logProb < 0)).toBe(true);
      expect(beams[0]!.logProb).toBeGreaterThanOrEqual(greedy.logProb - 1e-6);
    }
    expect(model.reply('hi', { strategy: 'beam', beamWidth: 1 })).toEqual([model.reply('hi')]);
  });

  it('length-normalises beam scores when asked', () => {
    const beams = model.reply('good night', { strategy: 'beam', beamWidth: 5, lengthPenalty: 1 });
    expect(beams).toHaveLength(5); // n defaults to beamWidth
    for (const beam of beams) expect(beam.score).toBeCloseTo(beam.logProb / (beam.tokens.length + 1), 10);
  });

  it('never replies with a special token, and answers unknown words and odd text', () => {
    for (const message of [...smallTalkPairs.map((pair) => pair.input), ...strangers]) {
      const replies = [model.reply(message), ...model.reply(message, { strategy: 'beam', beamWidth: 3 })];
      expect(tokensOf(replies).filter((token) => (SPECIAL_TOKENS as readonly string[]).includes(token))).toEqual([]);
      for (const reply of replies) {
        expect(reply.tokens.length).toBeGreaterThan(0);
        expect(reply.text.length).toBeGreaterThan(0);
        expect(Number.isFinite(reply.logProb)).toBe(true);
      }
    }
    expect(model.tokenizer.encodeInput('xyzzy qwerty')).toEqual([3, 3]); // all <unk>
  });

  it('stops a reply at maxLength and says so', () => {
    const reply = model.reply('how was the trip?', { maxLength: 2 });
    expect(reply).toMatchObject({ tokens: ['amazing', ','], truncated: true });
    expect(model.reply('how was the trip?').truncated).toBe(false);
  });

  it('rejects an empty message and bad options, naming them', () => {
    for (const message of ['', '   ', '\u200b']) expect(() => model.reply(message)).toThrow(new ModelError('message is empty: it has no word, punctuation mark or emoji'));
    const field = (options: object) => {
      try {
        model.reply('hi', options as never);
      } catch (error) {
        expect(error).toBeInstanceOf(ModelConfigError);
        return (error as ModelConfigError).field;
      }
      throw new Error('no error');
    };
    expect(field({ strategy: 'beam', beamWidth: 11 })).toBe('beamWidth');
    expect(field({ strategy: 'beam', beamWidth: 0 })).toBe('beamWidth');
    expect(field({ strategy: 'beam', beamWidth: 3, n: 4 })).toBe('n');
    expect(field({ strategy: 'beam', lengthPenalty: -1 })).toBe('lengthPenalty');
    expect(field({ maxLength: 0 })).toBe('maxLength');
    expect(field({ maxLength: 2.5 })).toBe('maxLength');
    expect(field({ strategy: 'sample' })).toBe('strategy');
  });

  it('saves and loads: same replies, same metadata, checked on load', async () => {
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()].sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const metadata = JSON.parse(new TextDecoder().decode(io.files.get('metadata.json')));
    expect(metadata).toMatchObject({ format: 'mlq-seq2seq-chat-model', formatVersion: 1, params: { ...memorise, probes }, seed: 1, embeddingCoverage: null });
    expect(metadata.tokenizer.vocabulary).toEqual(model.tokenizer.vocabulary);

    const loaded = await loadChatModel(io);
    try {
      expect(loaded.metadata).toEqual(model.metadata);
      expect(loaded.byteSize()).toBe(model.byteSize());
      for (const message of [...smallTalkPairs.map((pair) => pair.input), ...strangers]) {
        expect(loaded.reply(message)).toEqual(model.reply(message));
        expect(loaded.reply(message, { strategy: 'beam', beamWidth: 3 })).toEqual(model.reply(message, { strategy: 'beam', beamWidth: 3 }));
      }
    } finally {
      loaded.dispose();
    }

    const tampered = (name: string, edit: (json: Record<string, unknown>) => void) => {
      const copy = memoryArtifacts(new Map(io.files));
      const json = JSON.parse(new TextDecoder().decode(io.files.get(name)));
      edit(json);
      copy.files.set(name, new TextEncoder().encode(JSON.stringify(json)));
      return copy;
    };
    await expect(loadChatModel(tampered('metadata.json', (m) => (m.format = 'mlq-price-model')))).rejects.toThrow(/is not a seq2seq chat model \(format mlq-price-model\)/);
    await expect(loadChatModel(tampered('metadata.json', (m) => (m.formatVersion = 2)))).rejects.toThrow(/format version 2 is not supported/);
    await expect(loadChatModel(tampered('metadata.json', (m) => ((m.params as { units: number }).units = 0)))).rejects.toThrow(new ModelConfigError('units', 'must be >= 1, got 0'));
    await expect(loadChatModel(tampered('metadata.json', (m) => (m.tokenizer as { vocabulary: string[] }).vocabulary.push('extra')))).rejects.toThrow(
      `model.json has ${model.tokenizer.size} output tokens but the tokenizer has ${model.tokenizer.size + 1}`,
    );
    await expect(loadChatModel(memoryArtifacts())).rejects.toThrow(/no artifact metadata.json/);
  });
});

describe('chat models with FastLSTM or stock LSTM layers', () => {
  const trainWith = async (layers: RecurrentImplementation) => {
    setRecurrentImplementation(layers);
    try {
      return await trainChatModel(smallTalkPairs, { seed: 3, params: { ...memorise, epochs: 3, probes: [] } });
    } finally {
      setRecurrentImplementation('auto');
    }
  };
  /** A copy of the saved files whose model.json names the LSTM layers `to`: the same weights in the other class. */
  const renamed = (io: ReturnType<typeof memoryArtifacts>, from: string, to: string) => {
    const copy = memoryArtifacts(new Map(io.files));
    const json = new TextDecoder().decode(io.files.get('model.json'));
    expect(json.split(`"class_name":"${from}"`)).toHaveLength(3); // encoder and decoder
    copy.files.set('model.json', new TextEncoder().encode(json.replaceAll(`"class_name":"${from}"`, `"class_name":"${to}"`)));
    return copy;
  };
  const expectSameReplies = (actual: ChatModel, expected: ChatModel) => {
    for (const { input } of smallTalkPairs) {
      const [a, b] = [actual.reply(input, { strategy: 'beam', beamWidth: 3 }), expected.reply(input, { strategy: 'beam', beamWidth: 3 })];
      expect(a.map((reply) => reply.text)).toEqual(b.map((reply) => reply.text));
      a.forEach((reply, i) => expect(reply.logProb).toBeCloseTo(b[i]!.logProb, 4));
    }
  };

  for (const [built, other] of [
    ['LSTM', 'FastLSTM'],
    ['FastLSTM', 'LSTM'],
  ] as const) {
    it(`a model trained with ${built} layers saves them as such, loads, and its weights run alike in ${other} layers`, async () => {
      const baseline = tf.memory().numTensors;
      const trained = await trainWith(built === 'LSTM' ? 'stock' : 'fast');
      const io = memoryArtifacts();
      await trained.save(io);
      const loaded = await loadChatModel(io);
      const swapped = await loadChatModel(renamed(io, built, other));
      try {
        expect(loaded.reply('hi')).toEqual(trained.reply('hi'));
        expectSameReplies(swapped, trained);
      } finally {
        [trained, loaded, swapped].forEach((model) => model.dispose());
      }
      expect(tf.memory().numTensors).toBe(baseline);
    });
  }
});

describe('chat model memory', () => {
  it('leaves no tensor behind after training, 100 replies and dispose', async () => {
    const baseline = tf.memory().numTensors;
    const small = await trainChatModel(smallTalkPairs, { seed: 2, params: { ...memorise, epochs: 2, validationSplit: 0.2, probes }, onEpochEnd: () => {} });
    expect(small.metrics.valLoss).toEqual(expect.any(Number));
    for (let i = 0; i < 100; i++) {
      const message = smallTalkPairs[i % smallTalkPairs.length]!.input;
      if (i % 2) small.reply(message);
      else small.reply(message, { strategy: 'beam', beamWidth: 1 + (i % 10) });
    }
    small.dispose();
    small.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(baseline);
    expect(() => small.reply('hi')).toThrow(/disposed/);
    await expect(small.save(memoryArtifacts())).rejects.toThrow(/disposed/);
  });

  it('leaves no tensor behind after a cancelled training', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const run = trainChatModel(smallTalkPairs, { params: { ...memorise, epochs: 100 }, signal: controller.signal, onEpochEnd: () => controller.abort('user') });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
