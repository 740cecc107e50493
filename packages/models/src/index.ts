// The public API of @mlq/models: price forecasting, character-level text generation and the seq2seq chat model
// with TensorFlow.js; no queue or HTTP in it.
import './tfjs-setup.ts';
export * from './errors.ts';
export { initBackend, getBackendInfo, type BackendInfo, type BackendName } from './backend.ts';
export * from './checkpoint/index.ts';
export { EventLoopYielder, YIELD_BUDGET_MS } from './event-loop.ts';
export { memoryArtifacts, saveLayersModel, loadLayersModel, type ArtifactIO } from './io.ts';
export { createRandom, generateSeasonalSeries, type SeasonalSeriesOptions } from './samples/synthetic.ts';
export {
  priceLstmDefaults,
  priceLstmBounds,
  horizonBounds,
  holdoutBounds,
  validatePriceParams,
  scalingChoices,
  MIN_TRAINING_WINDOWS,
  MIN_LINEAR_POINTS,
  type Bound,
  type PriceLstmParams,
} from './price/config.ts';
export {
  assertFiniteSeries,
  createWindows,
  decodePrediction,
  encodeTarget,
  encodeWindow,
  fitPriceScaler,
  splitHoldout,
  type MinMaxScaler,
  type PriceScaler,
  type RelativeScaler,
  type ScalingChoice,
} from './price/data.ts';
export { fitLinear, predictLinear, type LinearFit } from './price/linear.ts';
export { evaluate, evaluateHoldout, mae, mape, rmse, type BaselineComparison, type ErrorMetrics, type PriceMetrics } from './price/metrics.ts';
export { buildPriceLstm } from './price/model.ts';
export { forecastRecursive, predictNextCloses, predictNextClosesInChunks, predictNextValues, type ForecastOptions } from './price/predict.ts';
export { PRICE_CHECKPOINT_FORMAT, PRICE_CHECKPOINT_FORMAT_VERSION, readPriceCheckpoint, type PriceCheckpointState, type PriceEpochMetrics, type PriceTrainingPosition } from './price/checkpoint.ts';
export { trainPriceModel, type TrainPriceModelOptions, type TrainProgress } from './price/train.ts';
export { DataParallelGradients } from './parallel/data-parallel.ts';
export { usableTrainingThreads } from './parallel/threads.ts';
export type { ObjectiveSpec } from './parallel/objective.ts';
export { meanSquaredErrorObjective, splitTensorBatch, type TensorShard } from './parallel/mean-squared-error.ts';
export { PriceModel, loadPriceModel } from './price/price-model.ts';
export { PRICE_MODEL_FORMAT, PRICE_MODEL_FORMAT_VERSION, type PriceModelMetadata } from './price/io.ts';
export { FastGRU, FastLSTM, createGruLayer, createLstmLayer, setRecurrentImplementation, useFastRecurrent, type GRULayerArgs, type LSTMLayerArgs, type RecurrentImplementation } from './recurrent/fast-layers.ts';
export { gruSequence, type GruSequenceOptions, type GruSequenceResult, type GruWeights } from './recurrent/gru-sequence.ts';
export { lstmSequence, type LstmSequenceOptions, type LstmSequenceResult, type LstmWeights } from './recurrent/lstm-sequence.ts';
export type { RecurrentActivation } from './recurrent/activations.ts';
export * from './seq2seq/index.ts';
export * from './textgen/index.ts';
