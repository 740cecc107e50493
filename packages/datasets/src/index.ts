/**
 * @mlq/datasets: parses, validates and summarises price datasets for the API (upload checks,
 * 4xx answers) and the worker (model inputs). Pure TypeScript: no tfjs, Redis or HTTP.
 */
export type { DatasetSummary, ParsePriceCsvOptions, PriceFormat, PriceRow, SeriesSummary } from './types.ts';
export {
  assertMinimumLength,
  DatasetParseError,
  DatasetTooShortError,
  DuplicateSeriesError,
  UnknownSeriesError,
  type DatasetProblem,
  type SeriesLength,
} from './errors.ts';
export { parsePriceCsv } from './parse-price-csv.ts';
export { PriceCollection } from './price-collection.ts';
export { loadPriceDirectory, readPriceCsvFile } from './load.ts';
export { decodeUtf8Strict } from './utf8.ts';
export { builtinDatasets, findBuiltinDataset, type BuiltinDataset } from './builtin.ts';
