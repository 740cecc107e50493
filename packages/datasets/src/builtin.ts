import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cached } from './cached.ts';
import { loadPriceDirectory, readPriceCsvFile } from './load.ts';
import type { PriceCollection } from './price-collection.ts';

/** A dataset that ships with the project, under a stable id. */
export interface BuiltinDataset {
  /** Stable id used in job payloads, e.g. `crypto-top100`. */
  id: string;
  name: string;
  kind: 'prices';
  description: string;
  /** Where the data comes from. */
  source: string;
  license: string;
  /** Parses the bundled files; the result is cached per process (collections are immutable). */
  load(): Promise<PriceCollection>;
}

/** Bundled with this package, so that a fresh clone or a Docker image needs no download. */
const CRYPTO_DIR = new URL('../data/crypto-top100/', import.meta.url);

/**
 * `vega-datasets/data/stocks.csv`. The package's `exports` map exposes only its JS entry (neither
 * `package.json` nor `data/`), so `require.resolve('vega-datasets/package.json')` fails with
 * ERR_PACKAGE_PATH_NOT_EXPORTED; resolve the entry and walk up to the package root instead.
 */
export function resolveVegaStocksCsv(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('vega-datasets'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vega-datasets') {
      return join(dir, 'data', 'stocks.csv');
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the vega-datasets package root');
    dir = parent;
  }
}

/** Datasets that ship with the project: `crypto-top100` and `vega-stocks`. */
export const builtinDatasets: readonly BuiltinDataset[] = Object.freeze([
  {
    id: 'crypto-top100',
    name: 'Top cryptocurrencies, daily (to 22 Sep 2017)',
    kind: 'prices',
    description: 'Daily OHLC prices, volume and market cap of 80 top cryptocurrencies, one series per coin (Bitcoin: 1,609 days from 28 Apr 2013).',
    source: 'CoinMarketCap, scraped up to 22 Sep 2017, as shipped by the MIT-licensed "Industrial Machine Learning" talk repository.',
    license: 'MIT (talk repository); prices from CoinMarketCap',
    load: cached(() => loadPriceDirectory(CRYPTO_DIR)),
  },
  {
    id: 'vega-stocks',
    name: 'Five tech stocks, monthly (2000-2010)',
    kind: 'prices',
    description: 'Monthly closing prices of AAPL, AMZN, GOOG, IBM and MSFT, January 2000 to March 2010.',
    source: 'vega-datasets npm package, data/stocks.csv',
    license: 'BSD-3-Clause (vega-datasets)',
    load: cached(() => readPriceCsvFile(resolveVegaStocksCsv(), { file: 'stocks.csv', format: 'long' })),
  },
]);

/** The builtin dataset with this id, if any. */
export function findBuiltinDataset(id: string): BuiltinDataset | undefined {
  return builtinDatasets.find((dataset) => dataset.id === id);
}
