// Price forecasting: windows of closes, the talk's LSTM (or a linear fit), training with checkpoints and resume, recursive forecasts.
export { priceLstmDefaults, horizonBounds, validatePriceParams, scalingChoices, MIN_TRAINING_WINDOWS, MIN_LINEAR_POINTS, type PriceLstmParams } from './config.ts';
export {
  assertFiniteSeries,
  createWindows,
  decodePrediction,
  encodeTarget,
  encodeWindow,
  encodeWindowInto,
  fitPriceScaler,
  splitHoldout,
  type MinMaxScaler,
  type PriceScaler,
  type RelativeScaler,
  type ScalingChoice,
} from './data.ts';
export { fitLinear, predictLinear, type LinearFit } from './linear.ts';
export { evaluate, evaluateHoldout, mae, mape, rmse, type BaselineComparison, type ErrorMetrics, type PriceMetrics } from './metrics.ts';
export { buildPriceLstm } from './model.ts';
export {
  forecastRecursive,
  forecastRecursiveBatch,
  predictNextCloses,
  predictNextClosesInChunks,
  predictNextValues,
  tfjsNextValues,
  WINDOWS_PER_PASS,
  type ForecastOptions,
  type ForecastOutcome,
  type NextValuesFunction,
  type RecursiveForecastRequest,
} from './predict.ts';
export { setPriceInference, usePriceKernel, type PriceInference } from './inference.ts';
export {
  PRICE_CHECKPOINT_FORMAT,
  PRICE_CHECKPOINT_FORMAT_VERSION,
  readPriceCheckpoint,
  type PriceCheckpointState,
  type PriceEpochMetrics,
  type PriceTrainingPosition,
} from './checkpoint.ts';
export { trainPriceModel, type TrainPriceModelOptions, type TrainProgress } from './train.ts';
export { PriceModel, loadPriceModel, type PriceForecastRequest, type PriceInferenceInfo } from './price-model.ts';
export { PRICE_MODEL_FORMAT, PRICE_MODEL_FORMAT_VERSION, type PriceModelMetadata } from './io.ts';
export * from './forecasting/index.ts';
