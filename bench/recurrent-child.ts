// One backend's half of `npm run bench` section `recurrent` (a backend cannot be switched once
// models exist, so bench/recurrent.ts runs this once per backend in a child process). Prints one
// JSON line per figure.
import * as tf from '@tensorflow/tfjs-core';
import { buildPriceLstm, DataParallelGradients, splitTensorBatch, initBackend, priceLstmDefaults, setRecurrentImplementation, trainTextModel, TrainingCancelledError, type BackendName, type TextGenPresetName } from '@mlq/models';
import { findBuiltinTextDataset } from '@mlq/datasets';

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
  const gradients = await DataParallelGradients.start(model, threads, { kind: 'mean-squared-error' });
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
  emit({ model: `textgen ${preset}`, implementation, ...(threads > 1 ? { threads } : {}), samplesPerSecond: ((ends.length - 1) * batchSize) / seconds, secondsPerStep: seconds / (ends.length - 1), seqLength });
}

for (const implementation of ['stock', 'fast'] as const) await priceLstm(implementation);
await priceLstmThreads(2);
for (const implementation of ['stock', 'fast'] as const) await textgen(implementation, 'default');
await textgen('fast', 'default', 2);
// Talk-sized steps take minutes on the CPU fallback; the cpu backend would take hours.
if (!slow && !quick) {
  for (const implementation of ['stock', 'fast'] as const) await textgen(implementation, 'talk');
  await textgen('fast', 'talk', 2);
}
