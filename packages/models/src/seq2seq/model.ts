import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { createLstmLayer } from '../recurrent/fast-layers.ts';
import type { Seq2SeqParams } from './config.ts';
import { projectToVocabulary } from './projection.ts';

/** Layer names of the training network; inference models and loading find the layers by them. */
export const layerNames = {
  embedding: 'embedding',
  encoder: 'encoder_lstm',
  decoder: 'decoder_lstm',
  dropout: 'decoder_dropout',
  logits: 'logits',
} as const;

type Layer = tfl.LayersModel['layers'][number];

/** Keras' `unit_forget_bias`: the forget-gate quarter of the LSTM bias (gates i, f, c, o) starts at 1. */
function setForgetBias(lstm: Layer): void {
  tf.tidy(() => {
    const [kernel, recurrentKernel, bias] = lstm.getWeights();
    const units = bias!.shape[0]! / 4;
    lstm.setWeights([kernel!, recurrentKernel!, tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])])]);
  });
}

/**
 * The training network (teacher forcing):
 * encoder tokens `[null, inputSteps]` → embedding (`<pad>` masked) → encoder LSTM → final state
 * `(h, c)`; decoder tokens `[null, replySteps]` (`<start>` + reply) → the same embedding → decoder
 * LSTM starting from `(h, c)` → dropout → dense logits `[null, replySteps, vocabularySize]`.
 * Sequence lengths are left open, so each batch is padded only to its own longest sequence. The
 * LSTMs are `FastLSTM` where `useFastRecurrent()` says so (same weights, so either loads the other's).
 *
 * `seed` makes the initial kernels deterministic. Recurrent kernels are Glorot-uniform rather than
 * Keras' orthogonal: tfjs' orthogonal initializer runs a QR decomposition and warns on every
 * build and every load above 2 000 elements. The embedding is set by the caller
 * (`createEmbeddingMatrix`).
 */
export function buildSeq2SeqNetwork(params: Seq2SeqParams, vocabularySize: number, seed?: number): tfl.LayersModel {
  const seeded = (offset: number) => tfl.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + offset });
  const encoderTokens = tfl.input({ shape: [null], dtype: 'int32', name: 'encoder_tokens' });
  const decoderTokens = tfl.input({ shape: [null], dtype: 'int32', name: 'decoder_tokens' });
  const embedding = tfl.layers.embedding({
    name: layerNames.embedding,
    inputDim: vocabularySize,
    outputDim: params.embeddingSize,
    maskZero: true,
    trainable: !params.freezeEmbeddings,
  });
  const lstm = (name: string, offset: number, returnSequences: boolean) =>
    createLstmLayer({
      name,
      units: params.units,
      returnSequences,
      returnState: true,
      recurrentActivation: 'sigmoid',
      kernelInitializer: seeded(offset),
      recurrentInitializer: seeded(offset + 1),
    });
  const encoderLstm = lstm(layerNames.encoder, 1, false);
  const decoderLstm = lstm(layerNames.decoder, 3, true);
  // Unseeded on purpose: a seeded tfjs Dropout draws the same mask at every step.
  const dropout = tfl.layers.dropout({ name: layerNames.dropout, rate: params.dropout });
  const logits = tfl.layers.dense({ name: layerNames.logits, units: vocabularySize, kernelInitializer: seeded(5) });

  const [, stateH, stateC] = encoderLstm.apply(embedding.apply(encoderTokens)) as tfl.SymbolicTensor[];
  // The initial state goes in the inputs list, not as `{ initialState }`: tfjs cannot serialise
  // that keyword, and `predict` rejects it.
  const [decoded] = decoderLstm.apply([embedding.apply(decoderTokens) as tfl.SymbolicTensor, stateH!, stateC!]) as tfl.SymbolicTensor[];
  const output = logits.apply(dropout.apply(decoded!)) as tfl.SymbolicTensor;
  const network = tfl.model({ inputs: [encoderTokens, decoderTokens], outputs: output, name: 'seq2seq' });
  setForgetBias(encoderLstm);
  setForgetBias(decoderLstm);
  forgetInitialStateArgs(network);
  return network;
}

/**
 * tfjs records the decoder's initial state twice: as node inputs (what loading uses) and as the
 * `initialState` call argument, which holds symbolic tensors that JSON cannot encode, so every
 * save warns that it is dropped. Dropping it here loses nothing and keeps saves quiet. Applied
 * after building and after loading.
 */
export function forgetInitialStateArgs(network: tfl.LayersModel): void {
  for (const node of network.getLayer(layerNames.decoder).inboundNodes) {
    if (node.callArgs) delete node.callArgs['initialState'];
  }
}

/**
 * Inference on a network's own layers (so on its weights, as they train), called eagerly: tfjs'
 * graph executor cannot run an LSTM whose initial state is a model input, and skipping it saves
 * its per-call overhead. Messages are encoded unpadded, so no mask is needed. Dropout is left out
 * (inference). Callers wrap calls in `tf.tidy`.
 */
export interface InferenceLayers {
  /** Message tokens `[1, steps]` (int32) → the encoder's final `[h, c]`, each `[1, units]`. */
  encode(tokens: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D];
  /** One decoder step for a batch of beams: tokens `[beams, 1]`, `h`, `c` `[beams, units]` → logits `[beams, vocabularySize]` and the next `h`, `c`. */
  step(tokens: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D): { logits: tf.Tensor2D; h: tf.Tensor2D; c: tf.Tensor2D };
  units: number;
  vocabularySize: number;
}

export function createInferenceLayers(network: tfl.LayersModel): InferenceLayers {
  const layer = (name: string) => {
    try {
      return network.getLayer(name);
    } catch {
      throw new ModelError(`the seq2seq network has no layer "${name}"`);
    }
  };
  const embedding = layer(layerNames.embedding);
  const encoderLstm = layer(layerNames.encoder);
  const decoderLstm = layer(layerNames.decoder);
  const logitsLayer = layer(layerNames.logits);
  const units = (encoderLstm.getConfig() as { units: number }).units;
  const vocabularySize = (logitsLayer.getConfig() as { units: number }).units;
  return {
    units,
    vocabularySize,
    encode(tokens) {
      const [, h, c] = encoderLstm.apply(embedding.apply(tokens)) as tf.Tensor2D[];
      return [h!, c!];
    },
    step(tokens, h, c) {
      const [output, nextH, nextC] = decoderLstm.apply([embedding.apply(tokens) as tf.Tensor, h, c]) as tf.Tensor[];
      const logits = logitsLayer.apply(output!) as tf.Tensor3D;
      return { logits: tf.squeeze<tf.Tensor2D>(logits, [1]), h: nextH as tf.Tensor2D, c: nextC as tf.Tensor2D };
    },
  };
}

/**
 * What training runs: the network's layers to the decoder's dropped-out outputs, then the logits
 * layer's weights through `projectToVocabulary` (same product, faster gradient on wasm).
 */
export interface TrainingView {
  /** Encoder tokens `[batch, inputSteps]`, decoder tokens `[batch, replySteps]` → logits `[batch, replySteps, vocabularySize]`. */
  logits(encoderTokens: tf.Tensor2D, decoderTokens: tf.Tensor2D, training: boolean): tf.Tensor3D;
}

export function createTrainingView(network: tfl.LayersModel): TrainingView {
  const embedding = network.getLayer(layerNames.embedding);
  const encoderLstm = network.getLayer(layerNames.encoder);
  const decoderLstm = network.getLayer(layerNames.decoder);
  const dropout = network.getLayer(layerNames.dropout);
  const [kernel, bias] = network.getLayer(layerNames.logits).trainableWeights.map((weight) => weight.read());
  return {
    logits(encoderTokens, decoderTokens, training) {
      // Layer by layer, not through a model over them: tfjs' executor runs a layer once per output
      // that later layers take, so the encoder twice (for h, then c). Eager calls pass no masks on,
      // so the embedding's (`maskZero`) are given here.
      const encoderMask = embedding.computeMask(encoderTokens) as tf.Tensor;
      const [, h, c] = encoderLstm.apply(embedding.apply(encoderTokens), { mask: encoderMask, training }) as tf.Tensor[];
      const decoderMask = embedding.computeMask(decoderTokens) as tf.Tensor;
      const [decoded] = decoderLstm.apply([embedding.apply(decoderTokens) as tf.Tensor, h!, c!], { mask: decoderMask, training }) as tf.Tensor[];
      const hidden = dropout.apply(decoded!, { training }) as tf.Tensor3D;
      const [batch, steps, units] = hidden.shape;
      const logits = projectToVocabulary(tf.reshape(hidden, [batch * steps, units]), kernel as tf.Tensor2D, bias as tf.Tensor1D);
      return tf.reshape(logits, [batch, steps, -1]);
    },
  };
}

/**
 * Frees the network's weights. Not `network.dispose()`: tfjs reference-counts a layer per use, and
 * the shared embedding adds a use that no container disposal would undo.
 */
export function disposeNetwork(network: tfl.LayersModel): void {
  for (const weight of network.weights) weight.dispose();
}
