import { DuplicateSeriesError, UnknownSeriesError } from './errors.ts';
import type { DatasetSummary, PriceFormat, PriceRow, SeriesSummary } from './types.ts';

/**
 * Named price series, each in ascending date order: the talk's CryptoLoader. Immutable: every
 * accessor returns fresh arrays and row objects, so a cached collection can be shared.
 */
export class PriceCollection {
  readonly format: PriceFormat;
  readonly #series: Map<string, PriceRow[]>;

  /**
   * @param series rows per series name; copied, and sorted by date where they are not already
   * @throws RangeError for a series without rows
   */
  constructor(format: PriceFormat, series: Map<string, PriceRow[]>) {
    this.format = format;
    this.#series = new Map();
    for (const name of [...series.keys()].sort()) {
      const rows = series.get(name)!;
      if (rows.length === 0) throw new RangeError(`series "${name}" has no rows`);
      const copy = rows.map((row) => ({ ...row }));
      if (!isAscending(copy)) copy.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
      this.#series.set(name, copy);
    }
  }

  /** Series names, sorted. */
  seriesNames(): string[] {
    return [...this.#series.keys()];
  }

  has(name: string): boolean {
    return this.#series.has(name);
  }

  /**
   * A series' rows, oldest first.
   * @throws UnknownSeriesError
   */
  rows(name: string): PriceRow[] {
    return this.#get(name).map((row) => ({ ...row }));
  }

  /**
   * A series' closing prices, oldest first: shape `[rows]`, all finite.
   * @throws UnknownSeriesError
   */
  closes(name: string): number[] {
    return this.#get(name).map((row) => row.close);
  }

  /**
   * A series' ISO dates (`YYYY-MM-DD`), oldest first, aligned with {@link closes}.
   * @throws UnknownSeriesError
   */
  dates(name: string): string[] {
    return this.#get(name).map((row) => row.date);
  }

  /** Format, counts and each series' date range. */
  summary(): DatasetSummary {
    const series: SeriesSummary[] = [];
    let rowCount = 0;
    for (const [name, rows] of this.#series) {
      rowCount += rows.length;
      series.push({ name, rows: rows.length, from: rows[0]!.date, to: rows[rows.length - 1]!.date });
    }
    return { format: this.format, seriesCount: series.length, rowCount, series };
  }

  /**
   * One collection from several (e.g. one per file). The format is shared when all agree,
   * else `long` (a file of many series).
   * @throws DuplicateSeriesError when two collections hold a series of the same name
   */
  static merge(collections: readonly PriceCollection[]): PriceCollection {
    const series = new Map<string, PriceRow[]>();
    for (const collection of collections) {
      for (const [name, rows] of collection.#series) {
        if (series.has(name)) throw new DuplicateSeriesError(name);
        series.set(name, rows);
      }
    }
    const formats = new Set(collections.map((collection) => collection.format));
    const format: PriceFormat = formats.size === 1 ? [...formats][0]! : formats.size === 0 ? 'ohlc' : 'long';
    return new PriceCollection(format, series);
  }

  #get(name: string): PriceRow[] {
    const rows = this.#series.get(name);
    if (!rows) throw new UnknownSeriesError(name, this.seriesNames());
    return rows;
  }
}

function isAscending(rows: readonly PriceRow[]): boolean {
  for (let i = 1; i < rows.length; i++) if (rows[i - 1]!.date > rows[i]!.date) return false;
  return true;
}
