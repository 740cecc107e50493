import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { EventLoopYielder } from '../event-loop.ts';
import { TrainingCancelledError } from '../errors.ts';
import { decodePrediction, encodeWindow, encodeWindowInto, type PriceScaler } from './data.ts';

/**
 * Network outputs for many encoded windows at once: `windows` holds `count` windows of
 * `window` values back to back (`[count · window]`); returns `count` outputs.
 */
export function predictNextValues(model: tfl.LayersModel, windows: Float32Array, window: number): number[] {
  const count = windows.length / window;
  const values = tf.tidy(() => (model.predict(tf.tensor3d(windows, [count, window, 1])) as tf.Tensor).dataSync());
  return Array.from(values);
}

/**
 * One-step predictions of the close after each window: `windows` holds `count` arrays of
 * `window` closes (oldest first); returns `count` closes, in one forward pass `[count, window, 1]`.
 */
export function predictNextCloses(model: tfl.LayersModel, scaler: PriceScaler, windows: ReadonlyArray<readonly number[]>, window: number): number[] {
  const encoded = new Float32Array(windows.length * window);
  windows.forEach((w, i) => encoded.set(encodeWindow(scaler, w), i * window));
  return predictNextValues(model, encoded, window).map((output, i) => decodePrediction(scaler, windows[i]![window - 1]!, output));
}

/**
 * Network outputs for `count` encoded windows laid back to back in `windows` (`[count · window]`):
 * `count` values. The tfjs model (`tfjsNextValues`) or the LSTM kernel computes it.
 */
export type NextValuesFunction = (windows: Float32Array, count: number) => ArrayLike<number>;

/** `predictNextValues` on a tfjs model: one forward pass `[count, window, 1]` per call. */
export function tfjsNextValues(model: tfl.LayersModel, window: number): NextValuesFunction {
  return (windows) => predictNextValues(model, windows, window);
}

/** Options of `forecastRecursive`. */
export interface ForecastOptions {
  /** Checked between steps; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Polled between steps: a model disposed mid-forecast fails cleanly with what it throws. */
  assertAlive?: () => void;
}

/**
 * Recursive multi-step forecast: predict the next close from the last `window` closes of
 * `history` (oldest first, at least `window` of them), append it, repeat `horizon` times.
 * Closes in, `horizon` closes out; one `[1, window, 1]` forward pass per step, each tidied.
 * Returns to the event loop every few tens of milliseconds (a 365-step forecast with a 365-point
 * window is tens of seconds of network work on wasm).
 */
export async function forecastRecursive(
  model: tfl.LayersModel,
  scaler: PriceScaler,
  history: readonly number[],
  window: number,
  horizon: number,
  options: ForecastOptions = {},
): Promise<number[]> {
  const [outcome] = await forecastRecursiveBatch(tfjsNextValues(model, window), scaler, [{ history, horizon, signal: options.signal }], window, {
    assertAlive: options.assertAlive,
  });
  if (outcome!.status === 'rejected') throw outcome!.reason;
  return outcome!.value;
}

/** One window's recursive forecast in `forecastRecursiveBatch`. */
export interface RecursiveForecastRequest {
  /** Closes, oldest first, at least `window` of them: the forecast starts after the last. */
  history: readonly number[];
  /** Steps, at least 1. */
  horizon: number;
  /** Checked before each step: aborting rejects this request alone with `TrainingCancelledError`. */
  signal?: AbortSignal | undefined;
}

/** A request's forecast or why it has none: the shape of `Promise.allSettled`'s results. */
export type ForecastOutcome = { status: 'fulfilled'; value: number[] } | { status: 'rejected'; reason: Error };

/** Windows per network call: a pass of this many stays within tens of milliseconds, between returns to the event loop. */
export const WINDOWS_PER_PASS = 64;

/** A rejected outcome for what was thrown (a non-Error wrapped in one). */
export const rejectedOutcome = (error: unknown): ForecastOutcome => ({ status: 'rejected', reason: error instanceof Error ? error : new Error(String(error)) });

/**
 * `forecastRecursive` for many windows at once: at each step every request still running
 * contributes its window to one network call (`WINDOWS_PER_PASS` at most), so B windows cost
 * about one pass of B per step rather than B passes of 1. Requests may have different histories
 * and horizons (a request leaves the batch after its last step), and each ends alone: aborted by
 * its own signal, it is rejected while the others go on. Each result equals the request's forecast
 * alone: exactly with the LSTM kernel (a window's arithmetic does not depend on the others in its
 * pass), within float32 rounding with tfjs (whose matmuls may sum differently by batch size).
 * `assertAlive` throwing, or the network failing, rejects every request not yet finished with
 * that error.
 */
export async function forecastRecursiveBatch(
  next: NextValuesFunction,
  scaler: PriceScaler,
  requests: readonly RecursiveForecastRequest[],
  window: number,
  options: { assertAlive?: (() => void) | undefined; windowsPerPass?: number } = {},
): Promise<ForecastOutcome[]> {
  const outcomes: Array<ForecastOutcome | undefined> = new Array(requests.length);
  // Per request: its last `window` closes, then its forecast as it grows.
  const closes = requests.map(({ history, horizon }) => {
    const series = new Float64Array(window + horizon);
    for (let i = 0; i < window; i++) series[i] = history[history.length - window + i]!;
    return series;
  });
  const perPass = Math.max(1, options.windowsPerPass ?? WINDOWS_PER_PASS);
  const encoded = new Float32Array(Math.min(perPass, requests.length) * window);
  const yielder = new EventLoopYielder();
  let running = requests.map((_, index) => index);
  try {
    for (let step = 0; running.length > 0; step++) {
      await yielder.maybeYield();
      running = running.filter((index) => {
        const signal = requests[index]!.signal;
        if (signal?.aborted) outcomes[index] = rejectedOutcome(new TrainingCancelledError(signal.reason));
        return !signal?.aborted;
      });
      for (let first = 0; first < running.length; first += perPass) {
        if (first > 0) await yielder.maybeYield();
        options.assertAlive?.();
        const pass = running.slice(first, first + perPass);
        pass.forEach((index, row) => encodeWindowInto(scaler, closes[index]!, step, window, encoded, row * window));
        const outputs = next(encoded.subarray(0, pass.length * window), pass.length);
        pass.forEach((index, row) => {
          const series = closes[index]!;
          series[step + window] = decodePrediction(scaler, series[step + window - 1]!, outputs[row]!);
        });
      }
      running = running.filter((index) => {
        const { horizon } = requests[index]!;
        if (step + 1 < horizon) return true;
        outcomes[index] = { status: 'fulfilled', value: Array.from(closes[index]!.subarray(window)) };
        return false;
      });
    }
  } catch (error) {
    for (const index of running) outcomes[index] ??= rejectedOutcome(error);
  }
  return outcomes as ForecastOutcome[];
}

/**
 * One-step predictions of many windows, `chunk` windows per forward pass, returning to the event
 * loop between passes: a holdout of 365 windows of 365 points is one long pass otherwise.
 */
export async function predictNextClosesInChunks(
  model: tfl.LayersModel,
  scaler: PriceScaler,
  windows: ReadonlyArray<readonly number[]>,
  window: number,
  options: { signal?: AbortSignal; chunk?: number } = {},
): Promise<number[]> {
  const yielder = new EventLoopYielder(options.signal);
  const chunk = options.chunk ?? 16;
  const closes: number[] = [];
  for (let first = 0; first < windows.length; first += chunk) {
    await yielder.maybeYield();
    closes.push(...predictNextCloses(model, scaler, windows.slice(first, first + chunk), window));
  }
  return closes;
}
