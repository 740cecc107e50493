import './tfjs-setup.ts';
export * from './errors.ts';
export { initBackend, getBackendInfo, type BackendInfo, type BackendName } from './backend.ts';
export { memoryArtifacts, saveLayersModel, loadLayersModel, type ArtifactIO } from './io.ts';
export { createRandom, generateSeasonalSeries, type SeasonalSeriesOptions } from './samples/synthetic.ts';
export {
  priceLstmDefaults,
  priceLstmBounds,
  horizonBounds,
  holdoutBounds,
  resolvePriceParams,
  scalingChoices,
  MIN_TRAINING_WINDOWS,
  MIN_LINEAR_POINTS,
  type PriceLstmParams,
} from './price/config.ts';
export { fitPriceScaler, encodeWindow, encodeTarget, decodePrediction, createWindows, type PriceScaler, type ScalingChoice } from './price/data.ts';
export { fitLinear, predictLinear, type LinearFit } from './price/linear.ts';
export { errorMetrics, mae, rmse, mape, type ErrorMetrics, type PriceMetrics } from './price/metrics.ts';
export { buildPriceLstm } from './price/model.ts';
export { forecastRecursive, predictNextValues, predictNextCloses } from './price/predict.ts';
export { trainPriceModel, type TrainPriceModelOptions, type TrainProgress } from './price/train.ts';
export { PriceModel, loadPriceModel, type PriceModelMetadata } from './price/price-model.ts';
