import * as tf from '@tensorflow/tfjs-core';

/** The mask as float 0/1 `[steps, batch]`; nonzero counts as a real step, as in tfjs-layers' `rnn()`. */
export function toTimeMajorMask(mask: tf.Tensor2D, timeMajor: boolean): tf.Tensor2D {
  const float = tf.cast<tf.Tensor2D>(mask.dtype === 'bool' ? mask : tf.cast(mask, 'bool'), 'float32');
  return timeMajor ? float : tf.transpose(float);
}

/** A mask widened per unit, and its complement, whole (for the backward pass) and per step. */
export interface WidenedMask {
  /** `[steps, batch, units]`, 1 at a real step. */
  keep: tf.Tensor3D;
  /** `1 − keep`: where the previous state carries over. */
  carry: tf.Tensor3D;
  keeps: tf.Tensor2D[];
  carries: tf.Tensor2D[];
}

/**
 * A time-major float mask `[steps, batch]` widened once to `[steps, batch, units]`: same-shape
 * products per step, no broadcasting. Without a mask, nothing.
 */
export function widenMask(mask: tf.Tensor2D | undefined, units: number): Partial<WidenedMask> {
  if (!mask) return {};
  const [steps, batch] = mask.shape;
  const keep = tf.mul<tf.Tensor3D>(tf.reshape(mask, [steps, batch, 1]), tf.ones([1, 1, units]));
  const carry = tf.sub<tf.Tensor3D>(1, keep);
  return { keep, carry, keeps: tf.unstack(keep) as tf.Tensor2D[], carries: tf.unstack(carry) as tf.Tensor2D[] };
}
