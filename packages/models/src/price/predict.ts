import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { EventLoopYielder } from '../event-loop.ts';
import { decodePrediction, encodeWindow, type PriceScaler } from './data.ts';

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
  const yielder = new EventLoopYielder(options.signal);
  const buffer = history.slice(-window);
  const forecast: number[] = [];
  for (let step = 0; step < horizon; step++) {
    await yielder.maybeYield();
    options.assertAlive?.();
    const [next] = predictNextCloses(model, scaler, [buffer.slice(-window)], window);
    forecast.push(next!);
    buffer.push(next!);
  }
  return forecast;
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

/**
 * `forecastRecursive` from many histories at once (each at least `window` long): step by step, the
 * next close of every history in passes of `[chunk, window, 1]`, returning to the event loop
 * between passes. Returns one `horizon`-long forecast per history.
 */
export async function forecastRecursiveFromEach(
  model: tfl.LayersModel,
  scaler: PriceScaler,
  histories: ReadonlyArray<readonly number[]>,
  window: number,
  horizon: number,
  options: { signal?: AbortSignal } = {},
): Promise<number[][]> {
  const buffers = histories.map((history) => history.slice(-window));
  const forecasts = histories.map((): number[] => []);
  for (let step = 0; step < horizon && histories.length > 0; step++) {
    const next = await predictNextClosesInChunks(
      model,
      scaler,
      buffers.map((buffer) => buffer.slice(-window)),
      window,
      options,
    );
    next.forEach((close, i) => {
      forecasts[i]!.push(close);
      buffers[i]!.push(close);
    });
  }
  return forecasts;
}
