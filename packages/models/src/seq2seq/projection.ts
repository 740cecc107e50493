import * as tf from '@tensorflow/tfjs-core';

type Projection = (features: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * The output layer's product, features `[rows, units]` × kernel `[units, vocabularySize]` + bias
 * → logits `[rows, vocabularySize]`, with a gradient that transposes explicitly. tfjs' own matMul
 * gradient multiplies with `transposeA`/`transposeB`, which the wasm backend runs about ten times
 * slower than a plain product (measured: 210 ms against 22 ms for `[480, 128]ᵀ × [480, 3692]`),
 * and this product is the largest of a training step.
 */
export const projectToVocabulary = tf.customGrad(((features: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([features, kernel]);
  return {
    value: tf.add(tf.matMul(features, kernel), bias),
    gradFunc: (dy: tf.Tensor2D, [savedFeatures, savedKernel]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(savedKernel!)), tf.matMul(tf.transpose(savedFeatures!), dy), tf.sum(dy, 0)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Projection;
