// `npm run bench` section `recurrent`: stock tfjs-layers recurrent layers against the fast ones
// (src/recurrent), on the wasm and cpu backends, beside PyTorch's CPU LSTM when it is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../test/harness/processes.ts';
import { runBackendChildren } from './backend-children.ts';
import type { ModelBenchOptions } from './model-common.ts';

interface Figure {
  backend: string;
  model: string;
  implementation: 'stock' | 'fast';
  /** Threads sharing each batch (DataParallelGradients); absent: one. */
  threads?: number;
  samplesPerSecond: number;
  predict1Ms?: number;
  predict256Ms?: number;
  secondsPerStep?: number;
}

/** One price-model training's held-out errors (bench/recurrent-child.ts, `priceAccuracy`). */
interface Accuracy {
  accuracy: true;
  implementation: 'stock' | 'fast';
  threads: number;
  seed: number;
  seconds: number;
  rmse: number;
  naiveRmse: number;
  /** Percent; null where every actual is 0 (not for Bitcoin). */
  mape: number | null;
  multiStepRmse: number;
}

/** PyTorch's figures from ../shared/peers/torch_lstm.py, or why there are none. */
export function torchReference(): { samplesPerSecond: number; predict1Ms: number; predict256Ms: number } | string {
  const script = path.join(repoRoot, '../shared/peers/torch_lstm.py');
  // Debian's python3-torch lands in /usr/bin/python3, which a pyenv or venv python3 on the PATH hides.
  const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0);
  if (!python) return 'PyTorch not installed (apt-get install -y python3-torch libopenblas0-pthread; see ../shared/peers/README.md)';
  const out = execFileSync(python, [script], { encoding: 'utf8' });
  const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1]);
  return { samplesPerSecond: number(/torch train: (\d+)/), predict1Ms: number(/batch 1: ([\d.]+) ms/), predict256Ms: number(/batch 256: ([\d.]+) ms/) };
}

export async function benchRecurrent({ quick }: ModelBenchOptions): Promise<void> {
  console.log('\nrecurrent layers: stock tfjs-layers against the fast ones (one input matmul, fused steps, hand-written backward pass)');
  // PyTorch runs before and after the tfjs children: its figure moves with the machine's state too.
  const torchRuns = quick ? ['skipped in BENCH_QUICK'] : [torchReference()];
  const figures: Figure[] = [];
  const accuracy: Accuracy[] = [];
  for (const figure of runBackendChildren('bench/recurrent-child.ts', quick, 64 * 1024 * 1024) as Array<Figure | Accuracy>) {
    if ('accuracy' in figure) accuracy.push(figure);
    else figures.push(figure);
  }
  if (!quick && typeof torchRuns[0] !== 'string') torchRuns.push(torchReference());
  const torch = torchRuns[0]!;
  const torchFigures = torchRuns.filter((run): run is Exclude<typeof run, string> => typeof run !== 'string');
  const torchTrain = torchFigures.length > 0 ? torchFigures.reduce((sum, run) => sum + run.samplesPerSecond, 0) / torchFigures.length : undefined;
  for (const model of [...new Set(figures.map((f) => f.model))]) {
    console.log(`  ${model}`);
    for (const f of figures.filter((g) => g.model === model)) {
      const stock = figures.find((g) => g.model === model && g.backend === f.backend && g.implementation === 'stock' && !g.threads);
      const speedup = f.implementation === 'fast' && stock ? `, ${(f.samplesPerSecond / stock.samplesPerSecond).toFixed(1)}× stock` : '';
      const vsTorch = torchTrain && model.startsWith('price') ? `, ${(f.samplesPerSecond / torchTrain).toFixed(2)}× PyTorch` : '';
      const latency = f.predict1Ms !== undefined ? `; predict 1 window ${f.predict1Ms.toFixed(1)} ms, 256 windows ${f.predict256Ms!.toFixed(0)} ms` : '';
      const step = f.secondsPerStep !== undefined ? ` (${f.secondsPerStep.toFixed(2)} s per step)` : '';
      const name = f.threads ? `${f.implementation} ×${f.threads} threads` : f.implementation;
      console.log(`    ${f.backend.padEnd(5)} ${name.padEnd(16)} ${f.samplesPerSecond.toFixed(1)} training samples/s${step}${speedup}${vsTorch}${latency}`);
    }
  }
  if (accuracy.length > 0) {
    console.log(
      `  price model held out, the talk's network on Bitcoin, 5 epochs, last 30 days (naive RMSE ${accuracy[0]!.naiveRmse.toFixed(0)}), seeds ${[...new Set(accuracy.map((a) => a.seed))].join(', ')}:`,
    );
    for (const key of [...new Set(accuracy.map((a) => `${a.implementation} ×${a.threads}`))]) {
      const runs = accuracy.filter((a) => `${a.implementation} ×${a.threads}` === key);
      const list = (pick: (a: Accuracy) => number, digits: number) => runs.map((a) => pick(a).toFixed(digits)).join(' / ');
      console.log(
        `    ${key.padEnd(9)} one-step RMSE ${list((a) => a.rmse, 0)}, MAPE ${list((a) => a.mape ?? NaN, 2)} %, 30-day recursive RMSE ${list((a) => a.multiStepRmse, 0)}; ${list((a) => a.seconds, 1)} s each`,
      );
    }
  }
  if (typeof torch === 'string') console.log(`  PyTorch reference: ${torch}`);
  else {
    const runs = torchFigures.map((run) => `${run.samplesPerSecond} training samples/s; predict 1 window ${run.predict1Ms} ms, 256 windows ${run.predict256Ms} ms`);
    console.log(`  PyTorch CPU (2 threads, OpenBLAS), the price LSTM, before and after (ratios use the mean, ${torchTrain!.toFixed(0)}): ${runs.join(' | ')}`);
  }
}
