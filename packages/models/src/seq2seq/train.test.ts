import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { ModelConfigError, ModelError, TrainingCancelledError } from '../errors.ts';
import { Seq2SeqParamsSchema } from '@mlq/specs';
import { seq2seqDefaults, validateSeq2SeqParams, type Seq2SeqParams } from './config.ts';

const probeBounds = { maxCount: Seq2SeqParamsSchema.properties.probes.maxItems!, maxLength: Seq2SeqParamsSchema.properties.probes.items.maxLength! };
import { createBatch } from './data.ts';
import { maskedCrossEntropy, targetMask } from './loss.ts';
import { buildSeq2SeqNetwork, createTrainingView, disposeNetwork } from './model.ts';
import { smallTalkPairs } from './small-talk.ts';
import { END_ID, PAD_ID, START_ID, Tokenizer, UNK_ID } from './tokenizer.ts';
import { trainChatModel } from './train.ts';

beforeAll(() => initBackend('auto'));

const tiny = { embeddingSize: 8, units: 16, epochs: 2, batchSize: 8, learningRate: 0.01, dropout: 0, validationSplit: 0, maxInputLength: 8, maxReplyLength: 8 };

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as ModelConfigError).field;
  }
  throw new Error('no ModelConfigError');
}

describe('seq2seq params', () => {
  it('fills defaults and names the field of a bad value', () => {
    expect(validateSeq2SeqParams()).toEqual(seq2seqDefaults);
    const bad: Array<[Partial<Record<keyof Seq2SeqParams, unknown>>, string]> = [
      [{ embeddingSize: 0 }, 'embeddingSize'],
      [{ units: 2000 }, 'units'],
      [{ units: 1.5 }, 'units'],
      [{ maxVocabulary: 4 }, 'maxVocabulary'],
      [{ maxInputLength: 101 }, 'maxInputLength'],
      [{ maxReplyLength: 0 }, 'maxReplyLength'],
      [{ dropout: 1 }, 'dropout'],
      [{ batchSize: Number.NaN }, 'batchSize'],
      [{ epochs: 0 }, 'epochs'],
      [{ learningRate: 0 }, 'learningRate'],
      [{ validationSplit: 0.6 }, 'validationSplit'],
      [{ freezeEmbeddings: 'yes' }, 'freezeEmbeddings'],
      [{ probes: 'hi' }, 'probes'],
      [{ probes: Array(probeBounds.maxCount + 1).fill('hi') }, 'probes'],
      [{ probes: ['hi', 3] }, 'probes[1]'],
      [{ probes: ['hi', ' '] }, 'probes[1]'],
      [{ probes: ['x'.repeat(probeBounds.maxLength + 1)] }, 'probes[0]'],
      [{ hiddenUnits: 5 } as never, 'hiddenUnits'],
    ];
    for (const [params, field] of bad) expect(fieldOf(() => validateSeq2SeqParams(params as Partial<Seq2SeqParams>))).toBe(field);
    expect(() => validateSeq2SeqParams({ units: 2000 })).toThrow('units must be <= 1024, got 2000');
  });

  it('rejects bad params, pairs and options before any work, leaving no tensor', async () => {
    const baseline = tf.memory().numTensors;
    await expect(trainChatModel(smallTalkPairs, { params: { learningRate: -1 } })).rejects.toThrow(new ModelConfigError('learningRate', 'must be > 0, got -1'));
    await expect(trainChatModel(smallTalkPairs, { params: { freezeEmbeddings: true } })).rejects.toMatchObject({ name: 'ModelConfigError', field: 'freezeEmbeddings' });
    await expect(trainChatModel('hi' as never)).rejects.toThrow(new ModelError('pairs must be an array of { input, reply }, got string'));
    await expect(trainChatModel([{ input: 'hi', reply: 'hey' }, { input: 'hi' }] as never)).rejects.toThrow('pairs[1] must have string input and reply');
    await expect(
      trainChatModel([
        { input: ' ', reply: 'hey' },
        { input: 'hi', reply: '' },
      ]),
    ).rejects.toThrow('no usable pairs: all 2 lack a token in their message or reply');
    await expect(trainChatModel(smallTalkPairs, { params: tiny, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('trainChatModel', () => {
  it('is reproducible from its seed', async () => {
    const lossesOf = async (seed: number) => {
      const losses: number[] = [];
      const model = await trainChatModel(smallTalkPairs, { seed, params: tiny, onEpochEnd: (p) => void losses.push(p.loss) });
      model.dispose();
      return losses;
    };
    const first = await lossesOf(3);
    expect(await lossesOf(3)).toEqual(first);
    expect(await lossesOf(4)).not.toEqual(first);
  });

  it('trains with each batch split across 2 threads: the loss falls; no tensor left', async () => {
    const baseline = tf.memory().numTensors;
    const progress: { loss: number; tokenAccuracy: number }[] = [];
    const model = await trainChatModel(smallTalkPairs, { seed: 2, params: { ...tiny, batchSize: 16, epochs: 6 }, threads: 2, onEpochEnd: (p) => void progress.push(p) });
    expect(progress).toHaveLength(6);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
    expect(progress.every((p) => p.tokenAccuracy >= 0 && p.tokenAccuracy <= 1)).toBe(true);
    expect(model.reply('hi').tokens.length).toBeGreaterThan(0);
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('holds out a seeded validation share, skips unusable pairs and builds its vocabulary from the training pairs', async () => {
    const pairs = [...smallTalkPairs, { input: '', reply: 'nothing to answer' }, { input: 'unanswered', reply: '\u200b' }];
    const model = await trainChatModel(pairs, { seed: 5, params: { ...tiny, epochs: 1, validationSplit: 0.25 } });
    expect(model.metadata.pairs).toEqual({ training: 21, validation: 7, skipped: 2 });
    expect(model.metrics.valLoss).toBeGreaterThan(0);
    expect(model.tokenizer.has('unanswered')).toBe(false);
    const everyWord = Tokenizer.fit(
      smallTalkPairs.flatMap((pair) => [pair.input, pair.reply]),
      validateSeq2SeqParams(tiny),
    );
    expect(model.tokenizer.size).toBeLessThan(everyWord.size); // words seen only in validation pairs stay unknown
    model.dispose();
  });

  it('stops mid-epoch when aborted from a timer: the event loop runs between batches', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), 200);
    let epochs = 0;
    const started = Date.now();
    const run = trainChatModel(smallTalkPairs, { seed: 1, params: { ...tiny, epochs: 1000, batchSize: 1 }, signal: controller.signal, onEpochEnd: () => void epochs++ });
    await expect(run).rejects.toMatchObject({ name: 'TrainingCancelledError', reason: new Error('timeout') });
    clearTimeout(timer);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(epochs).toBeLessThan(1000);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('trains on batches of one-word messages; even a barely trained model replies with a token', async () => {
    const model = await trainChatModel(
      [
        { input: 'lol', reply: 'haha' },
        { input: 'hi', reply: 'hey' },
      ],
      { seed: 1, params: { ...tiny, batchSize: 1 } },
    );
    expect(model.reply('lol').tokens.length).toBeGreaterThan(0);
    model.dispose();
  });
});

describe('padding', () => {
  it('is masked out of the encoder, the decoder and the loss', () => {
    const params = validateSeq2SeqParams(tiny);
    const network = buildSeq2SeqNetwork(params, 12, 1);
    const view = createTrainingView(network);
    const pair = { input: [5, 6, 7], reply: { ids: [8, 9], complete: true } };
    const longer = { input: [4, 5, 6, 7, 8, 9], reply: { ids: [10, 11, 4, 5, 6], complete: true } };
    const alone = createBatch([pair]);
    const padded = createBatch([pair, longer]);
    expect(Array.from(padded.targets.dataSync().slice(0, 6))).toEqual([8, 9, END_ID, PAD_ID, PAD_ID, PAD_ID]);
    expect(Array.from(padded.decoderTokens.dataSync().slice(0, 6))).toEqual([START_ID, 8, 9, PAD_ID, PAD_ID, PAD_ID]);

    const [aloneLogits, paddedLogits, aloneLoss, paddedRowLoss] = tf.tidy(() => {
      const logitsAlone = view.logits(alone.encoderTokens, alone.decoderTokens, false);
      const logitsPadded = view.logits(padded.encoderTokens, padded.decoderTokens, false);
      const firstRow = (t: tf.Tensor) => tf.slice(t, [0, 0], [1, -1]) as tf.Tensor2D;
      const firstRowLogits = tf.slice(logitsPadded, [0, 0, 0], [1, 3, -1]) as tf.Tensor3D;
      // Garbage logits at the padded steps must not change the loss.
      const noisy = tf.concat([firstRowLogits, tf.fill([1, 3, 12], 100)], 1) as tf.Tensor3D;
      const targets = firstRow(padded.targets);
      return [logitsAlone, firstRowLogits, maskedCrossEntropy(logitsAlone, alone.targets, targetMask(alone.targets)), maskedCrossEntropy(noisy, targets, targetMask(targets))];
    });
    expect(Array.from(paddedLogits.dataSync())).toEqual(Array.from(aloneLogits.dataSync()).map((v) => expect.closeTo(v, 5)));
    expect(paddedRowLoss.dataSync()[0]).toBeCloseTo(aloneLoss.dataSync()[0]!, 5);
    tf.dispose([aloneLogits, paddedLogits, aloneLoss, paddedRowLoss, ...Object.values(alone), ...Object.values(padded)]);
    disposeNetwork(network);
  });

  it('leaves <unk> targets out of the loss', () => {
    const [withUnk, without] = tf.tidy(() => {
      const logits = tf.randomNormal([1, 3, 6], 0, 1, 'float32', 7) as tf.Tensor3D;
      const targets = tf.tensor2d([[4, UNK_ID, END_ID]], [1, 3], 'int32');
      const mask = targetMask(targets);
      const twoSteps = tf.concat([tf.slice(logits, [0, 0, 0], [1, 1, -1]), tf.slice(logits, [0, 2, 0], [1, 1, -1])], 1) as tf.Tensor3D;
      const twoTargets = tf.tensor2d([[4, END_ID]], [1, 2], 'int32');
      return [maskedCrossEntropy(logits, targets, mask), maskedCrossEntropy(twoSteps, twoTargets, targetMask(twoTargets))];
    });
    expect(withUnk.dataSync()[0]).toBeCloseTo(without.dataSync()[0]!, 5);
    tf.dispose([withUnk, without]);
  });
});
