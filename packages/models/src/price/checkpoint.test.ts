import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { ModelConfigError, ModelError, TrainingCancelledError } from '../errors.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import { interruptedRun } from '../checkpoint/testing.ts';
import { readPriceCheckpoint } from './checkpoint.ts';
import { setPriceInference } from './inference.ts';
import { trainPriceModel, type TrainPriceModelOptions, type TrainProgress } from './train.ts';

beforeAll(() => initBackend('auto'));

const series = generateSeasonalSeries({ length: 200, period: 12, amplitude: 10, noise: 1, level: 100, seed: 5 });
// 200 − holdout 6 − window 8 = 186 windows, 10% validation → 168 fit windows → 6 batches of 32 per
// epoch, 4 epochs. Dropout 0: tfjs' dropout masks are not seeded, everything else is.
const params = { window: 8, units1: 6, units2: 6, epochs: 4, batchSize: 32, learningRate: 0.01, dropout: 0, validationSplit: 0.1 };
const base: TrainPriceModelOptions = { kind: 'lstm', params, horizon: 6, seed: 7 };

async function train(options: Partial<TrainPriceModelOptions>) {
  const epochs: TrainProgress[] = [];
  const model = await trainPriceModel(series, { ...base, ...options, onEpochEnd: (p) => void epochs.push(p) });
  const io = memoryArtifacts();
  await model.save(io);
  const weights = Array.from(new Float32Array(io.files.get('weights.bin')!.slice().buffer));
  const { metrics } = model;
  model.dispose();
  return { epochs, weights, metrics };
}

describe('price LSTM checkpoints', () => {
  it('resumes from an epoch-end or a released mid-epoch checkpoint to the weights of an uninterrupted run', async () => {
    const baseline = tf.memory().numTensors;
    const uninterrupted = await train({});
    expect(uninterrupted.epochs.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);

    // Aborted after the third batch of epoch 2: the hook is offered the epoch end, then the position at the abort.
    const { saved, hooks, options } = interruptedRun(3);
    const interrupted = trainPriceModel(series, { ...base, ...options });
    await expect(interrupted).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(hooks[0]).toEqual({ reason: 'epoch', step: 6, epochsDone: 1 });
    expect(hooks[1]).toMatchObject({ reason: 'abort', epochsDone: 1 });
    expect(hooks[1]!.step).toBeGreaterThan(6);
    expect(hooks[1]!.step).toBeLessThan(12);
    expect(tf.memory().numTensors).toBe(baseline);

    const released = saved.get('abort')!;
    expect([...released.files.keys()].sort()).toEqual(['checkpoint.json', 'model.json', 'optimizer.bin', 'weights.bin']);
    const read = await readPriceCheckpoint(released);
    read.network.dispose();
    expect(read.state).toMatchObject({ seed: 7, holdout: 6, position: { epoch: 1, step: hooks[1]!.step, batchInEpoch: hooks[1]!.step - 6 }, optimizer: { iterations: hooks[1]!.step } });

    const fromRelease = await train({ resumeFrom: released });
    expect(fromRelease.epochs.map((p) => p.epoch)).toEqual([2, 3, 4]); // on from epoch 2, not from zero
    expect(fromRelease.weights).toEqual(uninterrupted.weights);
    expect(fromRelease.metrics).toEqual(uninterrupted.metrics);

    const fromEpochEnd = await train({ resumeFrom: saved.get('epoch')! });
    expect(fromEpochEnd.epochs).toEqual(uninterrupted.epochs.slice(1));
    expect(fromEpochEnd.weights).toEqual(uninterrupted.weights);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses to resume on another series or with other parameters; may add epochs', async () => {
    const saved = memoryArtifacts();
    const model = await trainPriceModel(series, {
      ...base,
      params: { ...params, epochs: 1 },
      checkpoint: async (checkpoint) => checkpoint.save(saved),
    });
    model.dispose();
    const baseline = tf.memory().numTensors;
    await expect(
      trainPriceModel(
        series.map((v) => v + 1),
        { ...base, resumeFrom: saved },
      ),
    ).rejects.toBeInstanceOf(ModelError);
    await expect(trainPriceModel(series, { ...base, params: { ...params, units1: 7 }, resumeFrom: saved })).rejects.toThrow(
      new ModelConfigError('units1', "differs from the checkpoint's (6); a resumed run may change only epochs"),
    );
    await expect(trainPriceModel(series, { ...base, seed: 8, resumeFrom: saved })).rejects.toThrow(/seed differs/);
    expect(tf.memory().numTensors).toBe(baseline);
    const more = await train({ params: { ...params, epochs: 2 }, resumeFrom: saved });
    expect(more.epochs.map((p) => p.epoch)).toEqual([2]);
  });
});

/** Runs `body` with a `setInterval` of 5 ms going: how many ticks it saw and the longest gap between two. */
async function watchTimers<T>(body: () => Promise<T>) {
  let longestGap = 0;
  let last = performance.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 5);
  const started = performance.now();
  try {
    const result = await body();
    return { result, ticks, longestGap, elapsed: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

describe('price forecasts yield to the event loop', () => {
  const long = generateSeasonalSeries({ length: 365 + 1 + 10 + 1, period: 30, seed: 2 });
  const trainLong = () =>
    trainPriceModel(long, { kind: 'lstm', params: { window: 365, units1: 4, units2: 4, epochs: 1, batchSize: 16, dropout: 0, validationSplit: 0 }, horizon: 1, holdout: 1, seed: 1 });
  afterEach(() => setPriceInference('auto'));

  it('a forecast with a 365-point window lets timers run throughout, and stops when aborted (tfjs network)', async () => {
    setPriceInference('tfjs');
    const model = await trainLong();
    const baseline = tf.memory().numTensors;
    // Each step is a pass over 365 points (about 140 ms here on wasm with 4 units): 30 steps keep the
    // test CI-sized; a 365-step forecast yields the same way, step after step.
    const { result: forecast, ticks, longestGap, elapsed } = await watchTimers(() => model.forecast(30));
    expect(forecast).toHaveLength(30);
    expect(forecast.every(Number.isFinite)).toBe(true);
    // Ticks all along the forecast, not only at its end. The bound is generous (the budget between
    // yields is 25 ms; a shared CI core may pause the process): what fails is a forecast that holds
    // the loop for its whole duration, seconds on this window.
    expect(ticks).toBeGreaterThan(elapsed / 250);
    expect(longestGap).toBeLessThan(Math.max(500, elapsed / 4));
    expect(await model.forecast(3)).toEqual(forecast.slice(0, 3));
    expect(tf.memory().numTensors).toBe(baseline);

    const controller = new AbortController();
    setTimeout(() => controller.abort('shutdown'), 20);
    await expect(model.forecast(365, undefined, { signal: controller.signal })).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  }, 60_000);

  it('a batch of 365-step forecasts with the kernel lets timers run throughout, and stops when aborted', async () => {
    setPriceInference('kernel');
    const model = await trainLong();
    // The kernel makes a 365-step forecast here in about 20 ms: 16 of them together are a few
    // hundred milliseconds, more than ten budgets between yields.
    const requests = Array.from({ length: 16 }, (_, i) => ({ horizon: 365, history: long.slice(i % 12, (i % 12) + 365) }));
    const { result, ticks, longestGap, elapsed } = await watchTimers(() => model.forecastBatch(requests));
    expect(model.inference.path).toBe('kernel');
    expect(result.every((outcome) => outcome.status === 'fulfilled' && outcome.value.length === 365)).toBe(true);
    expect(ticks).toBeGreaterThan(elapsed / 250);
    expect(longestGap).toBeLessThan(Math.max(500, elapsed / 4));

    // Aborted at the first return to the event loop: every request shares the signal.
    const controller = new AbortController();
    setTimeout(() => controller.abort('shutdown'), 0);
    const aborted = await model.forecastBatch(requests.map((r) => ({ ...r, signal: controller.signal })));
    expect(aborted.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TrainingCancelledError)).toBe(true);
    model.dispose();
  }, 60_000);
});
