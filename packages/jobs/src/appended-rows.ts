import { PriceCollection, type PriceRow } from '@mlq/datasets';

/** One observation appended to an uploaded price dataset: a series' close on a date after its last one. */
export interface AppendedRow {
  series: string;
  /** ISO date, `YYYY-MM-DD`. */
  date: string;
  close: number;
}

/**
 * The collection with `rows` added after each series' rows (they were checked to come after its
 * last date when appended; the collection sorts anything else). Open, high, low, volume and market
 * cap of an appended day are unknown (null).
 */
export function withAppendedRows(collection: PriceCollection, rows: readonly AppendedRow[]): PriceCollection {
  if (rows.length === 0) return collection;
  const series = new Map<string, PriceRow[]>(collection.seriesNames().map((name) => [name, collection.rows(name)]));
  for (const row of rows) {
    const existing = series.get(row.series) ?? [];
    existing.push({ date: row.date, close: row.close, open: null, high: null, low: null, volume: null, marketCap: null });
    series.set(row.series, existing);
  }
  return new PriceCollection(collection.format, series);
}

/** An appended rows file as stored: a JSON array of rows. */
export function encodeAppendedRows(rows: readonly AppendedRow[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(rows.map(({ series, date, close }) => ({ series, date, close }))));
}

export function decodeAppendedRows(bytes: Uint8Array): AppendedRow[] {
  return JSON.parse(new TextDecoder().decode(bytes)) as AppendedRow[];
}
