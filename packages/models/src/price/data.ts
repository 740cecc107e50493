import * as tf from '@tensorflow/tfjs-core';
import { InvalidSeriesError } from '../errors.ts';
import type { PriceLstmParams } from './config.ts';

/**
 * How closes become network inputs and targets; fitted on the training part only and stored
 * with the model.
 * - `relative`: each window is expressed relative to its last close (vᵢ / v_last − 1) and the
 *   target is the next one-step return, both divided by the training returns' standard
 *   deviation. Prices that grow by orders of magnitude (Bitcoin: 135 → 4,900) stay in range.
 * - `minmax`: (v − min) / (max − min) over the training part, for series with zeros or negatives.
 */
export type PriceScaler = MinMaxScaler | RelativeScaler;

/** MinMaxScaler: v ↦ (v − min) / (max − min), min and max of the training part (a flat part divides by 1). */
export type MinMaxScaler = { kind: 'minmax'; min: number; max: number };

/** v ↦ (v / last − 1) / scale, `last` the window's last close, `scale` the training returns' standard deviation. */
export type RelativeScaler = { kind: 'relative'; scale: number };

/** What a caller may ask for: `auto` resolves to `relative` or `minmax` when fitted. */
export type ScalingChoice = PriceLstmParams['scaling'];

/**
 * Fits a scaler on the training part only (never on the holdout). `auto` is `relative` when every
 * training close is positive, else `minmax`.
 */
export function fitPriceScaler(choice: ScalingChoice, train: readonly number[]): PriceScaler {
  const positive = train.every((v) => v > 0);
  const kind = choice === 'auto' ? (positive ? 'relative' : 'minmax') : choice;
  if (kind === 'relative') {
    if (!positive) throw new InvalidSeriesError('relative scaling needs positive closes; use scaling "minmax"');
    const returns = train.slice(1).map((v, i) => v / train[i]! - 1);
    const mean = returns.reduce((s, r) => s + r, 0) / Math.max(1, returns.length);
    const std = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, returns.length));
    return { kind, scale: std > 0 ? std : 1 };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of train) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { kind, min, max };
}

const span = (s: { min: number; max: number }) => (s.max - s.min === 0 ? 1 : s.max - s.min);

/** Network input for one window of closes (oldest first): `[window]` values. */
export function encodeWindow(scaler: PriceScaler, window: readonly number[]): Float32Array {
  const encoded = new Float32Array(window.length);
  encodeWindowInto(scaler, window, 0, window.length, encoded, 0);
  return encoded;
}

/**
 * `encodeWindow` of `closes[start … start + length − 1]`, written to `target` from `offset`: the
 * same float32 values, without a slice or a new array per window.
 */
export function encodeWindowInto(scaler: PriceScaler, closes: ArrayLike<number>, start: number, length: number, target: Float32Array, offset: number): void {
  const end = start + length;
  if (scaler.kind === 'relative') {
    const { scale } = scaler;
    const last = closes[end - 1]!;
    for (let i = start; i < end; i++) target[offset + i - start] = (closes[i]! / last - 1) / scale;
  } else {
    const { min } = scaler;
    const width = span(scaler);
    for (let i = start; i < end; i++) target[offset + i - start] = (closes[i]! - min) / width;
  }
}

/** Training target for the close that follows a window ending at `last`. */
export function encodeTarget(scaler: PriceScaler, last: number, next: number): number {
  return scaler.kind === 'relative' ? (next / last - 1) / scaler.scale : (next - scaler.min) / span(scaler);
}

/** The close a network output stands for, after a window ending at `last`. */
export function decodePrediction(scaler: PriceScaler, last: number, output: number): number {
  return scaler.kind === 'relative' ? last * (1 + output * scaler.scale) : output * span(scaler) + scaler.min;
}

/** Throws `InvalidSeriesError` naming the first value that is not a finite number. */
export function assertFiniteSeries(values: readonly number[], what = 'series'): void {
  if (!Array.isArray(values)) throw new InvalidSeriesError(`${what} must be an array of numbers`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new InvalidSeriesError(`${what} value at index ${i} is ${String(values[i])}, not a finite number`, i);
    }
  }
}

/** Throws `InvalidSeriesError` naming the first value ≤ 0: `relative` scaling divides by closes. */
export function assertPositiveSeries(values: readonly number[], what = 'series'): void {
  const i = values.findIndex((v) => !(v > 0));
  if (i >= 0) throw new InvalidSeriesError(`${what} value at index ${i} is ${values[i]}; this model uses relative scaling and needs positive closes`, i);
}

/**
 * Splits a series (oldest first) into the part a model is fitted on and the last `holdout`
 * points it is evaluated on.
 */
export function splitHoldout(closes: readonly number[], holdout: number): { train: number[]; holdout: number[] } {
  return { train: closes.slice(0, closes.length - holdout), holdout: closes.slice(closes.length - holdout) };
}

/**
 * Sliding windows over closes: inputs `[count, window, 1]`, targets `[count, 1]`, where
 * count = closes.length − window and target i encodes the close right after window i.
 */
export function createWindows(closes: readonly number[], window: number, scaler: PriceScaler): { xs: tf.Tensor3D; ys: tf.Tensor2D; count: number } {
  const count = closes.length - window;
  const inputs = new Float32Array(count * window);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const slice = closes.slice(i, i + window);
    inputs.set(encodeWindow(scaler, slice), i * window);
    targets[i] = encodeTarget(scaler, slice[window - 1]!, closes[i + window]!);
  }
  // Extreme but finite closes (1e308) can still overflow once scaled: NaN must never reach a model.
  const bad = [inputs, targets].findIndex((values) => values.some((v) => !Number.isFinite(v)));
  if (bad >= 0) throw new InvalidSeriesError(`scaled ${bad === 0 ? 'inputs' : 'targets'} are not finite: values too large for float32`);
  return { xs: tf.tensor3d(inputs, [count, window, 1]), ys: tf.tensor2d(targets, [count, 1]), count };
}
