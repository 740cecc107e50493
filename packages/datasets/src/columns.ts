import type { PriceFormat } from './types.ts';

/** Header names each role accepts, best first, in {@link normalizeHeader} form. */
export const ACCEPTED_COLUMNS = {
  date: ['date'],
  series: ['symbol', 'name', 'series', 'ticker', 'coin'],
  ohlcClose: ['close', 'price', 'adj close'],
  longClose: ['close', 'price', 'adj close', 'value'],
  open: ['open'],
  high: ['high'],
  low: ['low'],
  volume: ['volume'],
  marketCap: ['market cap', 'marketcap'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Lower case, trimmed, `_` and runs of spaces as one space, trailing `*` dropped: newer
 * CoinMarketCap exports write `Open*` and `Close**`, other tools `adj_close`.
 */
export function normalizeHeader(name: string): string {
  return dropTrailingStars(name.trim().toLowerCase())
    .replace(/[\s_]+/g, ' ')
    .trim();
}

/** `Close**` → `Close`. A loop, not `/\*+$/`: that regex is quadratic on a long run of `*` followed by anything else. */
function dropTrailingStars(name: string): string {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 42 /* * */) end--;
  return name.slice(0, end);
}

/** Index of the first accepted name found (in order of preference), or -1. */
export function findColumn(normalized: readonly string[], accepted: readonly string[]): number {
  for (const name of accepted) {
    const index = normalized.indexOf(name);
    if (index >= 0) return index;
  }
  return -1;
}

/** `long` when the header names a series column, else `ohlc`. */
export function detectFormat(normalized: readonly string[]): PriceFormat {
  return findColumn(normalized, ACCEPTED_COLUMNS.series) >= 0 ? 'long' : 'ohlc';
}
