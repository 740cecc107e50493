// One backend's half of `npm run bench` section `recurrent` (a backend cannot be switched once
// models exist, so bench/recurrent.ts runs this once per backend in a child process). Prints one
// JSON line per figure.
import * as tf from '@tensorflow/tfjs-core';
import {
  buildPriceLstm,
  DataParallelGradients,
  meanSquaredErrorObjective,
  splitTensorBatch,
  initBackend,
  trainPriceModel,
  priceLstmDefaults,
  setRecurrentImplementation,
  trainTextModel,
  TrainingCancelledError,
  type BackendName,
  type TextGenPresetName,
} from '@mlq/models';
import { findBuiltinDataset, findBuiltinTextDataset } from '@mlq/datasets';

const [backendName = 'wasm', mode = 'full'] = process.argv.slice(2);
const quick = mode === 'quick';
await initBackend(backendName as BackendName);
const emit = (figure: Record<string, unknown>) => console.log(JSON.stringify({ backend: backendName, ...figure }));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
// The cpu backend is 5–10× slower: fewer timed steps there.
const slow = backendName === 'cpu';

async function priceLstm(implementation: 'stock' | 'fast'): Promise<void> {
  setRecurrentImplementation(implementation);
  const window = priceLstmDefaults.window;
  const batch = quick ? 64 : 512;
  const { model, optimizer } = buildPriceLstm({ ...priceLstmDefaults, window }, 1);
  const x = tf.randomNormal([batch, window, 1]);
  const y = tf.randomNormal([batch, 1]);
  await model.fit(x, y, { epochs: 1, batchSize: batch, verbose: 0 }); // warm-up
  const steps = quick ? 1 : slow ? 1 : 4;
  const rates: number[] = [];
  for (let round = 0; round < (quick || slow ? 1 : 3); round++) {
    const started = performance.now();
    await model.fit(x, y, { epochs: steps, batchSize: batch, verbose: 0 });
    rates.push((steps * batch) / ((performance.now() - started) / 1000));
  }
  const latency: Record<string, number> = {};
  for (const size of [1, 256]) {
    const input = tf.randomNormal([size, window, 1]);
    tf.tidy(() => model.predict(input));
    const times: number[] = [];
    for (let i = 0; i < (quick || slow ? 3 : 20); i++) {
      const t0 = performance.now();
      const out = model.predict(input) as tf.Tensor;
      await out.data();
      out.dispose();
      times.push(performance.now() - t0);
    }
    latency[`predict${size}Ms`] = median(times);
    input.dispose();
  }
  emit({ model: 'price LSTM (talk: 50→100, window 50, batch 512)', implementation, samplesPerSecond: median(rates), ...latency, fastLayer: model.layers[0]!.getClassName() });
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
}

/** The fast price LSTM trained as `trainPriceModel` does with `threads`: each batch split across threads. */
async function priceLstmThreads(threads: number): Promise<void> {
  setRecurrentImplementation('fast');
  const window = priceLstmDefaults.window;
  const batch = quick ? 128 : 512;
  const { model, optimizer } = buildPriceLstm({ ...priceLstmDefaults, window }, 1);
  const x = tf.randomNormal([batch, window, 1]);
  const y = tf.randomNormal([batch, 1]);
  const gradients = await DataParallelGradients.start(model, threads, meanSquaredErrorObjective());
  const step = async () => {
    const { grads } = await gradients.compute(splitTensorBatch(x, y, threads));
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  };
  await step(); // warm-up
  const steps = quick || slow ? 1 : 4;
  const rates: number[] = [];
  for (let round = 0; round < (quick || slow ? 1 : 3); round++) {
    const started = performance.now();
    for (let i = 0; i < steps; i++) await step();
    rates.push((steps * batch) / ((performance.now() - started) / 1000));
  }
  emit({ model: 'price LSTM (talk: 50→100, window 50, batch 512)', implementation: 'fast', threads, samplesPerSecond: median(rates) });
  await gradients.close();
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
}

/**
 * The price model's held-out accuracy, the "no loss in accuracy": the talk's network on
 * Bitcoin (holdout 30 days), trained with the stock layers, the fast ones, and the fast ones on 2
 * threads, from the same seeds. Dropout stays random (see buildPriceLstm), so seeds differ in more
 * than their initial weights: compare the spread, not single runs.
 */
async function priceAccuracy(): Promise<void> {
  const closes = (await findBuiltinDataset('crypto-top100')!.load()).closes('Bitcoin');
  for (const [implementation, threads] of [
    ['stock', 1],
    ['fast', 1],
    ['fast', 2],
  ] as const) {
    setRecurrentImplementation(implementation);
    for (const seed of [1, 2, 3]) {
      const started = performance.now();
      const model = await trainPriceModel(closes, { kind: 'lstm', params: { epochs: 5 }, holdout: 30, horizon: 30, seed, threads });
      const { model: lstm, naive, multiStep } = model.metrics;
      emit({
        accuracy: true,
        implementation,
        threads,
        seed,
        seconds: (performance.now() - started) / 1000,
        rmse: lstm.rmse,
        naiveRmse: naive.rmse,
        mape: lstm.mape,
        multiStepRmse: multiStep.model.rmse,
      });
      model.dispose();
    }
  }
}

async function textgen(implementation: 'stock' | 'fast', preset: TextGenPresetName, threads = 1): Promise<void> {
  setRecurrentImplementation(implementation);
  const text = (await findBuiltinTextDataset('tinyshakespeare')!.load()).slice(0, 200_000);
  const params = quick ? { units: 32, batchSize: 8 } : {};
  const timedSteps = quick ? 2 : preset === 'talk' ? 1 : slow ? 2 : 8;
  const controller = new AbortController();
  const ends: number[] = [];
  let batchSize = 0;
  let seqLength = 0;
  try {
    await trainTextModel(text, {
      preset,
      params: { ...params, checkpointEverySteps: 0 },
      seed: 1,
      sampleLength: 0,
      threads,
      signal: controller.signal,
      onStep: (step) => {
        ends.push(performance.now());
        if (step.step > timedSteps) controller.abort(new Error('bench: enough steps'));
      },
      onEpochEnd: () => undefined,
    });
  } catch (error) {
    if (!(error instanceof TrainingCancelledError)) throw error;
  }
  // The first step (building, warm-up) is not timed.
  const seconds = (ends.at(-1)! - ends[0]!) / 1000;
  const resolved = preset === 'talk' ? { batchSize: 200, seqLength: 30 } : { batchSize: 32, seqLength: 60 };
  batchSize = quick ? 8 : resolved.batchSize;
  seqLength = resolved.seqLength;
  emit({
    model: `textgen ${preset}`,
    implementation,
    ...(threads > 1 ? { threads } : {}),
    samplesPerSecond: ((ends.length - 1) * batchSize) / seconds,
    secondsPerStep: seconds / (ends.length - 1),
    seqLength,
  });
}

// `accuracy` (run by hand: node --import tsx bench/recurrent-child.ts wasm accuracy) prints only that part.
if (mode === 'accuracy') {
  await priceAccuracy();
  process.exit(0);
}
for (const implementation of ['stock', 'fast'] as const) await priceLstm(implementation);
await priceLstmThreads(2);
for (const implementation of ['stock', 'fast'] as const) await textgen(implementation, 'default');
await textgen('fast', 'default', 2);
// Talk-sized steps take minutes on the CPU fallback; the cpu backend would take hours.
if (!slow && !quick) {
  for (const implementation of ['stock', 'fast'] as const) await textgen(implementation, 'talk');
  await textgen('fast', 'talk', 2);
  await priceAccuracy();
}
