/** One day of one series. Prices are in the file's own currency; missing values are `null`, never NaN. */
export interface PriceRow {
  /** ISO calendar date, `YYYY-MM-DD`. */
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  /** Always a finite number (zero and negative values are allowed). */
  close: number;
  volume: number | null;
  marketCap: number | null;
}

/** One series as listed by {@link DatasetSummary}. */
export interface SeriesSummary {
  name: string;
  /** Number of rows (days or periods). */
  rows: number;
  /** ISO date of the first (oldest) row. */
  from: string;
  /** ISO date of the last (newest) row. */
  to: string;
}

/** What a parsed dataset holds; small enough to store in a registry and send over HTTP. */
export interface DatasetSummary {
  format: PriceFormat;
  seriesCount: number;
  /** Rows over all series. */
  rowCount: number;
  /** Sorted by name. */
  series: SeriesSummary[];
}

/**
 * - `ohlc`: one series per file, CoinMarketCap export columns (Date, Open, High, Low, Close, Volume, Market Cap).
 * - `long`: many series per file: a date, a series name and a close column per row.
 */
export type PriceFormat = 'ohlc' | 'long';

/** Options of {@link parsePriceCsv}. */
export interface ParsePriceCsvOptions {
  /** Name used in error messages (usually the uploaded file's name). */
  file: string;
  /**
   * Series name for an `ohlc` file.
   * @defaultValue the file name without directory and extension
   */
  seriesName?: string;
  /**
   * `auto` reads `long` when the header has a series column (symbol, name, series, ticker, coin), else `ohlc`.
   * @defaultValue 'auto'
   */
  format?: 'auto' | PriceFormat;
}
