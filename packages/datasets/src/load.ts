import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCEPTED_COLUMNS, findColumn, normalizeHeader } from './columns.ts';
import { readCsvRecords } from './csv.ts';
import { DatasetParseError } from './errors.ts';
import { baseName, seriesNameFromFile } from './file-name.ts';
import { parsePriceCsv } from './parse-price-csv.ts';
import { PriceCollection } from './price-collection.ts';
import type { ParsePriceCsvOptions } from './types.ts';
import { decodeUtf8Strict } from './utf8.ts';

/**
 * Reads and parses one price CSV file (strict UTF-8).
 * @param options `file` defaults to the path's last segment, `seriesName` to that without extension
 */
export async function readPriceCsvFile(path: string | URL, options: Partial<ParsePriceCsvOptions> = {}): Promise<PriceCollection> {
  const file = options.file ?? baseName(toPath(path));
  const text = decodeUtf8Strict(await readFile(path), file);
  return parsePriceCsv(text, { ...options, file });
}

/**
 * Loads a folder holding one `ohlc` CSV per series (series name = file name without `.csv`),
 * in file-name order, as one collection.
 *
 * Files whose header has no Date column are skipped, not refused: the crypto folder ships
 * `100 List.csv`, a market-cap ranking (rank, name, price, supply…) that sits beside the coin
 * files but is not a time series. Detecting it by its header rather than by its name also skips
 * any other listing a user drops into such a folder.
 * @throws DatasetParseError for a price file that does not parse, or a folder without any
 */
export async function loadPriceDirectory(dir: string | URL): Promise<PriceCollection> {
  const dirPath = toPath(dir);
  const names = (await readdir(dirPath, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && /\.csv$/i.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  const collections = await Promise.all(
    names.map(async (name) => {
      const text = decodeUtf8Strict(await readFile(join(dirPath, name)), name);
      if (!hasDateColumn(text, name)) return undefined;
      return parsePriceCsv(text, { file: name, seriesName: seriesNameFromFile(name), format: 'ohlc' });
    }),
  );
  const series = collections.filter((collection) => collection !== undefined);
  if (series.length === 0) {
    throw new DatasetParseError({ file: basename(dirPath), problem: 'the folder holds no price CSV files' });
  }
  return PriceCollection.merge(series);
}

/** Whether the first non-blank record (the header) names a date column; an empty file counts as yes so that parsing reports it. */
function hasDateColumn(text: string, file: string): boolean {
  for (const { fields } of readCsvRecords(text, file)) {
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    return findColumn(fields.map(normalizeHeader), ACCEPTED_COLUMNS.date) >= 0;
  }
  return true;
}

function toPath(path: string | URL): string {
  return typeof path === 'string' ? path : fileURLToPath(path);
}
