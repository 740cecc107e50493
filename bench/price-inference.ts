// `npm run bench` section `price-inference`: PriceModel forecasts of the talk's LSTM with the tfjs
// network against the WebAssembly LSTM kernel (src/recurrent/lstm-stack-kernel.ts), on the wasm and
// cpu backends, beside PyTorch's CPU LSTM when it is installed; and where tfjs' forward pass goes.
import { runBackendChildren } from './backend-children.ts';
import type { ModelBenchOptions } from './model-common.ts';
import { torchReference } from './recurrent.ts';

interface Timing {
  backend: string;
  inference: 'tfjs' | 'kernel';
  forecast1Ms?: number;
  batch32Ms?: number;
  sequential32Ms?: number;
  forward256Ms?: number;
}

interface Profile {
  backend: string;
  profile: { count: number; wallMs: number; kernelCalls: number; top: string[] };
}

const HORIZON = 10;
const BATCH = 32;
const perSecond = (count: number, ms: number) => ((count * 1000) / ms).toFixed(0);

export async function benchPriceInference({ quick }: ModelBenchOptions): Promise<void> {
  console.log(`\nprice inference: the talk's LSTM (window 50, LSTM 50 → 100, Dense 1), ${HORIZON}-day recursive forecasts, tfjs network against the LSTM kernel`);
  const torchBefore = quick ? 'skipped in BENCH_QUICK' : torchReference();
  const timings: Timing[] = [];
  const profiles: Profile[] = [];
  for (const figure of runBackendChildren('bench/price-inference-child.ts', quick, 16 * 1024 * 1024) as Array<Timing | Profile>) {
    if ('profile' in figure) profiles.push(figure);
    else timings.push(figure);
  }
  const torchAfter = typeof torchBefore === 'string' ? torchBefore : torchReference();
  const torchRuns = [torchBefore, torchAfter].filter((run): run is Exclude<typeof run, string> => typeof run !== 'string');
  const torch1 = torchRuns.length > 0 ? torchRuns.reduce((sum, run) => sum + run.predict1Ms, 0) / torchRuns.length : undefined;
  const torch256 = torchRuns.length > 0 ? torchRuns.reduce((sum, run) => sum + run.predict256Ms, 0) / torchRuns.length : undefined;
  const versusTorch = (oursMs: number, torchMs: number | undefined) => (torchMs ? `, ${(oursMs / torchMs).toFixed(2)}× PyTorch's time` : '');

  for (const backend of [...new Set(timings.map((t) => t.backend))]) {
    const of = (inference: Timing['inference']) => timings.find((t) => t.backend === backend && t.inference === inference && t.forecast1Ms !== undefined);
    const tfjs = of('tfjs');
    const kernel = of('kernel');
    const forward256 = timings.find((t) => t.backend === backend && t.forward256Ms !== undefined)?.forward256Ms;
    if (tfjs) {
      console.log(
        `  ${backend.padEnd(4)} tfjs network: 1 forecast ${tfjs.forecast1Ms!.toFixed(1)} ms (${(tfjs.forecast1Ms! / HORIZON).toFixed(2)} ms per forward pass); ` +
          `${BATCH} forecasts one by one ${tfjs.sequential32Ms!.toFixed(0)} ms (${perSecond(BATCH, tfjs.sequential32Ms!)} forecasts/s), ` +
          `as one forecastBatch ${tfjs.batch32Ms!.toFixed(0)} ms (${perSecond(BATCH, tfjs.batch32Ms!)} forecasts/s)`,
      );
    }
    if (kernel) {
      const speedup = (ours: number, theirs: number | undefined) => (theirs ? `, ${(theirs / ours).toFixed(1)}× faster` : '');
      console.log(
        `  ${backend.padEnd(4)} LSTM kernel:  1 forecast ${kernel.forecast1Ms!.toFixed(2)} ms (${(kernel.forecast1Ms! / HORIZON).toFixed(3)} ms per forward pass${speedup(kernel.forecast1Ms!, tfjs?.forecast1Ms)}` +
          `${versusTorch(kernel.forecast1Ms! / HORIZON, torch1)}); ` +
          `${BATCH} forecasts as one forecastBatch ${kernel.batch32Ms!.toFixed(1)} ms (${perSecond(BATCH, kernel.batch32Ms!)} forecasts/s${speedup(kernel.batch32Ms!, tfjs?.sequential32Ms)} than one by one on tfjs)` +
          (forward256 !== undefined ? `; one forward pass of 256 windows ${forward256.toFixed(1)} ms${versusTorch(forward256, torch256)}` : ''),
      );
    }
    // The kernel does the same arithmetic: what tfjs spends beyond it is the cost of its many small ops and kernels.
    for (const { profile } of profiles.filter((p) => p.backend === backend)) {
      const arithmeticMs = kernel ? (profile.count === 1 ? kernel.forecast1Ms! : kernel.batch32Ms!) / HORIZON : undefined;
      const beyond =
        arithmeticMs !== undefined
          ? `; the kernel's pass takes ${arithmeticMs.toFixed(2)} ms, so ${(100 * (1 - arithmeticMs / profile.wallMs)).toFixed(0)}% of tfjs' time is beyond the arithmetic (dispatch, slow small kernels)`
          : '';
      console.log(
        `       tfjs forward pass of ${profile.count} window${profile.count > 1 ? 's' : ''}: ${profile.wallMs.toFixed(2)} ms in ${profile.kernelCalls} kernel calls ` +
          `(${((1000 * profile.wallMs) / profile.kernelCalls).toFixed(1)} µs each)${beyond}; tf.profile's heaviest (its timing inflates them): ${profile.top.join(', ')}`,
      );
    }
  }
  if (torchRuns.length === 0) console.log(`  PyTorch reference: ${String(torchBefore)}`);
  else {
    const runs = torchRuns.map((run) => `forward pass of 1 window ${run.predict1Ms} ms, 256 windows ${run.predict256Ms} ms`);
    console.log(
      `  PyTorch CPU (../shared/peers/torch_lstm.py, 2 threads), before and after (ratios use the mean): ${runs.join(' | ')}; a ${HORIZON}-day forecast is ${HORIZON} forward passes of 1`,
    );
  }
}
