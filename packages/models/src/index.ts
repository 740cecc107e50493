// The public API of @mlq/models: price forecasting, character-level text generation and the seq2seq chat model
// with TensorFlow.js; no queue or HTTP in it.
import './tfjs-setup.ts';
export * from './errors.ts';
export { initBackend, getBackendInfo, type BackendInfo, type BackendName } from './backend.ts';
export * from './checkpoint/index.ts';
export { EventLoopYielder, YIELD_BUDGET_MS } from './event-loop.ts';
export { memoryArtifacts, saveLayersModel, loadLayersModel, type ArtifactIO } from './io.ts';
export { createRandom, generateSeasonalSeries, type SeasonalSeriesOptions } from './samples/synthetic.ts';
export * from './price/index.ts';
export { DataParallelGradients } from './parallel/data-parallel.ts';
export { usableTrainingThreads } from './parallel/threads.ts';
export type { ObjectiveSpec } from './parallel/objective.ts';
export { meanSquaredErrorObjective, splitTensorBatch, type TensorShard } from './parallel/mean-squared-error.ts';
export {
  FastGRU,
  FastLSTM,
  createGruLayer,
  createLstmLayer,
  setRecurrentImplementation,
  useFastRecurrent,
  type GRULayerArgs,
  type LSTMLayerArgs,
  type RecurrentImplementation,
} from './recurrent/fast-layers.ts';
export { gruSequence, type GruSequenceOptions, type GruSequenceResult, type GruWeights } from './recurrent/gru-sequence.ts';
export { lstmSequence, type LstmSequenceOptions, type LstmSequenceResult, type LstmWeights } from './recurrent/lstm-sequence.ts';
export { LstmStackKernel, type DenseWeights, type LstmLayerWeights } from './recurrent/lstm-stack-kernel.ts';
export { readLstmStack, type LstmStackReading } from './recurrent/read-lstm-stack.ts';
export type { RecurrentActivation } from './recurrent/activations.ts';
export * from './seq2seq/index.ts';
export * from './textgen/index.ts';
