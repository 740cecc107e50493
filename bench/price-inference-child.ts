// One backend's half of `npm run bench` section `price-inference` (a backend cannot be switched
// once models exist, so bench/price-inference.ts runs this once per backend in a child process).
// Prints one JSON line per figure.
import * as tf from '@tensorflow/tfjs-core';
import { findBuiltinDataset } from '@mlq/datasets';
import { buildPriceLstm, initBackend, predictNextValues, priceLstmDefaults, setPriceInference, trainPriceModel, type BackendName, type PriceInference, type PriceModel } from '@mlq/models';

const [backendName = 'wasm', mode = 'full'] = process.argv.slice(2);
const quick = mode === 'quick';
await initBackend(backendName as BackendName);
const emit = (figure: Record<string, unknown>) => console.log(JSON.stringify({ backend: backendName, ...figure }));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
// The cpu backend's tfjs path is 5–50× slower than wasm's: fewer timed runs there.
const slow = backendName === 'cpu';
const HORIZON = 10;
const BATCH = 32;

/** Median milliseconds of `runs` calls of `body`, after `warmUp` untimed ones. */
async function time(runs: number, body: () => Promise<unknown>, warmUp = 2): Promise<number> {
  for (let i = 0; i < warmUp; i++) await body();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await body();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function withInference<T>(inference: PriceInference, body: () => Promise<T>): Promise<T> {
  setPriceInference(inference);
  try {
    return await body();
  } finally {
    setPriceInference('auto');
  }
}

/**
 * The talk's network (window 50, LSTM 50 → 100, Dense 1) trained for one epoch on the last 300
 * Bitcoin closes: weights that are not the initial ones; accuracy does not matter here.
 */
async function trainTalkModel(closes: number[]): Promise<PriceModel> {
  return trainPriceModel(closes.slice(-300), { kind: 'lstm', params: { epochs: 1, batchSize: 128 }, seed: 1 });
}

/**
 * Where tfjs' forward pass of `count` windows through `network` goes: wall milliseconds
 * (unprofiled median), kernel calls, and the ops `tf.profile` times longest (its timing reads
 * every output back, so its times are inflated; the counts are exact).
 */
async function profileForward(network: Parameters<typeof predictNextValues>[0], count: number) {
  const windows = new Float32Array(count * 50).map(() => Math.random() * 0.2 - 0.1);
  const wallMs = await time(quick ? 3 : count === 1 ? 30 : 8, async () => predictNextValues(network, windows, 50));
  // The least of three profiles: the first calls of a kernel carry one-off costs.
  const profiles = [];
  for (let i = 0; i < 3; i++) {
    profiles.push(
      await tf.profile(() => {
        predictNextValues(network, windows, 50);
      }),
    );
  }
  const kernelTime = (p: Awaited<ReturnType<typeof tf.profile>>) => p.kernels.reduce((sum, k) => sum + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
  const profile = profiles.reduce((best, p) => (kernelTime(p) < kernelTime(best) ? p : best));
  const byOp = new Map<string, { calls: number; ms: number }>();
  for (const kernel of profile.kernels) {
    const entry = byOp.get(kernel.name) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    byOp.set(kernel.name, entry);
  }
  const top = [...byOp]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 5)
    .map(([name, e]) => `${name} ×${e.calls} ${e.ms.toFixed(2)} ms`);
  return { count, wallMs, kernelCalls: profile.kernels.length, top };
}

const closes = (await findBuiltinDataset('crypto-top100')!.load()).closes('Bitcoin');
const model = await trainTalkModel(closes);
const requests = Array.from({ length: BATCH }, (_, i) => ({ horizon: HORIZON, history: closes.slice(0, closes.length - 7 * i) }));
const runs = quick ? 3 : slow ? 5 : 20;

await withInference('tfjs', async () => {
  const forecast1Ms = await time(runs, () => model.forecast(HORIZON));
  // Today's serving of 32 requests: 32 forecasts, each its own forward passes.
  const sequential32Ms = await time(quick || slow ? 1 : 3, () => Promise.all(requests.map((r) => model.forecast(r.horizon, r.history))), 1);
  const batch32Ms = await time(quick || slow ? 2 : 5, () => model.forecastBatch(requests), 1);
  emit({ inference: 'tfjs', path: model.inference.path, forecast1Ms, batch32Ms, sequential32Ms });
});
// V8 runs WebAssembly in a baseline tier first and optimises a function once it has run a while
// (about twice as fast here): the kernel is timed after a hundred forecasts, as a serving worker runs it.
await withInference('kernel', async () => {
  const forecast1Ms = await time(quick ? 10 : 50, () => model.forecast(HORIZON), 100);
  const batch32Ms = await time(quick ? 3 : 10, () => model.forecastBatch(requests), 3);
  emit({ inference: 'kernel', path: model.inference.path, forecast1Ms, batch32Ms });
});
// One forward pass of 256 windows, PyTorch's other figure.
await withInference('kernel', async () => {
  const windows = Array.from({ length: 256 }, (_, i) => ({ horizon: 1, history: closes.slice(0, closes.length - 3 * i) }));
  emit({ inference: 'kernel', forward256Ms: await time(quick ? 2 : 5, () => model.forecastBatch(windows), 1) });
});
model.dispose();

// tfjs' own forward pass of the same network, by op: what the kernel replaces.
const { model: network, optimizer } = buildPriceLstm(priceLstmDefaults, 1);
optimizer.dispose();
for (const count of [1, BATCH]) emit({ profile: await profileForward(network, count) });
network.dispose();
