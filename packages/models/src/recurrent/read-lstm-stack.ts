import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { recurrentActivations, type RecurrentActivation } from './activations.ts';
import type { DenseWeights, LstmLayerWeights } from './lstm-stack-kernel.ts';

/** What `readLstmStack` found: the layers' weights, or why the model is not such a stack. */
export type LstmStackReading = { layers: LstmLayerWeights[]; head: DenseWeights } | { unsupported: string };

const copy = (tensor: tf.Tensor | undefined) => Float32Array.from(tensor!.dataSync());

function readLstm(layer: tfl.layers.Layer, inputSize: number, isLast: boolean): LstmLayerWeights | string {
  const config = layer.getConfig();
  const activation = config.recurrentActivation as RecurrentActivation;
  if (config.stateful || config.goBackwards || config.returnState) return 'a stateful, backwards or state-returning LSTM';
  if (config.dropout !== 0 || config.recurrentDropout !== 0) return 'an LSTM with dropout inside its cell';
  if (config.activation !== 'tanh' || !recurrentActivations.includes(activation)) return `an LSTM with activations ${String(config.activation)}/${String(activation)}`;
  if (Boolean(config.returnSequences) === isLast) return isLast ? 'a last LSTM that returns sequences' : 'an LSTM that does not return sequences under another';
  const [kernel, recurrentKernel, bias] = layer.getWeights();
  const units = config.units as number;
  if (kernel!.shape[0] !== inputSize) return 'LSTM layers whose sizes do not chain';
  return {
    inputSize,
    units,
    kernel: copy(kernel),
    recurrentKernel: copy(recurrentKernel),
    bias: config.useBias ? copy(bias) : new Float32Array(4 * units),
    recurrentActivation: activation,
  };
}

/**
 * Copies the weights of a `Sequential` tfjs-layers model made of LSTM layers (stock or
 * `FastLSTM`; each but the last returning sequences; tanh with a sigmoid or hardSigmoid gate; no
 * cell dropout, state or reversal), any Dropout layers (identity at inference), and one linear
 * Dense layer last: what `LstmStackKernel` computes. Anything else says why it is not covered.
 * Reads each weight once (`dataSync`); the model is left as it was.
 */
export function readLstmStack(model: tfl.LayersModel): LstmStackReading {
  if (model.getClassName() !== 'Sequential') return { unsupported: `a ${model.getClassName()} model (only Sequential)` };
  const inputShape = model.inputs[0]?.shape;
  if (!inputShape || inputShape.length !== 3 || typeof inputShape[2] !== 'number') return { unsupported: 'an input that is not [batch, steps, features]' };
  const kept = model.layers.filter((layer) => !['Dropout', 'InputLayer'].includes(layer.getClassName()));
  const dense = kept.at(-1);
  const lstms = kept.slice(0, -1);
  if (!dense || dense.getClassName() !== 'Dense' || lstms.length === 0 || lstms.some((l) => !['LSTM', 'FastLSTM'].includes(l.getClassName()))) {
    return { unsupported: `layers ${model.layers.map((l) => l.getClassName()).join(', ')} (LSTM layers, Dropout, one Dense)` };
  }
  const layers: LstmLayerWeights[] = [];
  for (const [l, layer] of lstms.entries()) {
    const read = readLstm(layer, l === 0 ? inputShape[2] : layers[l - 1]!.units, l === lstms.length - 1);
    if (typeof read === 'string') return { unsupported: read };
    layers.push(read);
  }
  const denseConfig = dense.getConfig();
  if (denseConfig.activation !== 'linear') return { unsupported: `a Dense head with activation ${String(denseConfig.activation)}` };
  const [kernel, bias] = dense.getWeights();
  const units = denseConfig.units as number;
  const head = { inputSize: layers.at(-1)!.units, units, kernel: copy(kernel), bias: denseConfig.useBias ? copy(bias) : new Float32Array(units) };
  return { layers, head };
}
