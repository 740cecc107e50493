import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { MlqError } from '@mlq/specs';
import { DatasetNotFoundError, type DatasetCatalog } from './datasets.ts';
import { registryKey, type PriceDatasetRecord } from './registry.ts';
import type { ArtifactStore } from './store.ts';
import { isBuiltinDataset } from './usage.ts';
import { encodeAppendedRows, withAppendedRows, type AppendedRow } from './appended-rows.ts';

/** Rows one request may append. */
export const MAX_APPENDED_ROWS = 10_000;

export const AppendRowsPayloadSchema = Type.Object(
  {
    rows: Type.Array(
      Type.Object(
        {
          series: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Series name; may be left out when the dataset has one series' })),
          date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: "ISO date, after the series' last one" }),
          close: Type.Number({ minimum: -1e300, maximum: 1e300, description: 'Closing price' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_APPENDED_ROWS, description: "New observations, each after its series' last date; per series in date order" },
    ),
  },
  { additionalProperties: false },
);
export type AppendRowsPayload = Static<typeof AppendRowsPayloadSchema>;

/** Raised when rows are appended to a dataset that ships with the project. */
export class BuiltinDatasetAppendError extends MlqError {
  constructor(readonly datasetId: string) {
    super('invalid', `dataset ${datasetId} is built in; rows can be appended only to uploaded price datasets`, { field: 'params/id' });
    this.name = 'BuiltinDatasetAppendError';
  }
}

/** Raised when another append (or a deletion) changed the dataset between this one's read and its write. */
export class DatasetChangedError extends MlqError {
  constructor(readonly datasetId: string) {
    super('conflict', `dataset ${datasetId} changed while these rows were appended (another append); send them again`);
    this.name = 'DatasetChangedError';
  }
}

const invalidRow = (index: number, field: 'series' | 'date' | 'close', message: string) => new MlqError('invalid', message, { field: `body/rows/${index}/${field}` });

/** Whether `text` (`YYYY-MM-DD`) names a real calendar day. */
function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/**
 * Checks rows against the dataset's series: a known series (named, or the only one), a real date
 * after the series' last date and after the previous row of the same series in the request, a
 * finite close. Throws an `invalid` error naming the row's field.
 */
export function checkAppendedRows(collection: { seriesNames(): string[]; dates(series: string): string[] }, datasetId: string, rows: AppendRowsPayload['rows']): AppendedRow[] {
  const names = collection.seriesNames();
  const lastDate = new Map<string, string>();
  return rows.map((row, index) => {
    let series = row.series;
    if (series === undefined) {
      if (names.length !== 1) throw invalidRow(index, 'series', `dataset ${datasetId} has ${names.length} series; name the series of each row`);
      series = names[0]!;
    }
    if (!names.includes(series)) {
      throw invalidRow(index, 'series', `series "${series}" is not in dataset ${datasetId} (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`);
    }
    if (!isCalendarDate(row.date)) throw invalidRow(index, 'date', `${row.date} is not a calendar date (YYYY-MM-DD)`);
    if (!Number.isFinite(row.close)) throw invalidRow(index, 'close', `close must be a finite number`);
    const after = lastDate.get(series) ?? collection.dates(series).at(-1)!;
    if (row.date <= after) {
      throw invalidRow(index, 'date', `${row.date} is not after ${after}, the last date of series "${series}"${lastDate.has(series) ? ' in this request' : ''}`);
    }
    lastDate.set(series, row.date);
    return { series, date: row.date, close: row.close };
  });
}

/** KEYS: the dataset record. ARGV: the version read, the new record JSON. 'ok', 'missing' or 'changed'. */
const replaceRecordScript = `
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local version = cjson.decode(current).version
if version == nil or version == cjson.null then version = 1 end
if tonumber(version) ~= tonumber(ARGV[1]) then return 'changed' end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'
`;

export interface AppendRowsDeps {
  redis: Redis;
  prefix: string;
  store: ArtifactStore;
  catalog: DatasetCatalog;
}

/** What an append made: the dataset's new record, and the rows added per series. */
export interface AppendedRows {
  record: PriceDatasetRecord;
  appended: Record<string, number>;
  rows: AppendedRow[];
}

/**
 * Appends observations to an uploaded price dataset as its next version: the rows go to a file of
 * their own under the dataset's folder (deleted with the dataset), then the record (its version,
 * files and summary) is replaced only if no other append came in between. Jobs already running
 * keep the data they read; jobs that start afterwards read the new version.
 * @throws BuiltinDatasetAppendError, DatasetNotFoundError, an `invalid` error naming the dataset (not prices) or a row's field, DatasetChangedError
 */
export async function appendPriceRows(deps: AppendRowsDeps, datasetId: string, rows: AppendRowsPayload['rows']): Promise<AppendedRows> {
  if (isBuiltinDataset(datasetId)) throw new BuiltinDatasetAppendError(datasetId);
  const kind = (await deps.catalog.record(datasetId)).kind ?? 'prices';
  if (kind !== 'prices') throw new MlqError('invalid', `dataset ${datasetId} holds ${kind}; rows can be appended only to price datasets`, { field: 'params/id' });
  const { record, collection } = await deps.catalog.series(datasetId);
  const checked = checkAppendedRows(collection, datasetId, rows);
  const version = record.version ?? 1;
  const key = `datasets/${datasetId}/rows/${String(version + 1).padStart(6, '0')}-${randomUUID().slice(0, 8)}.json`;
  const bytes = encodeAppendedRows(checked);
  await deps.store.put(key, bytes);
  const updated: PriceDatasetRecord = {
    ...record,
    version: version + 1,
    appended: [...(record.appended ?? []), key],
    bytes: (record.bytes ?? 0) + bytes.length,
    summary: withAppendedRows(collection, checked).summary(),
    updatedAt: new Date().toISOString(),
  };
  const outcome = await deps.redis.eval(replaceRecordScript, 1, registryKey(deps.prefix, 'dataset', datasetId), version, JSON.stringify(updated));
  if (outcome !== 'ok') {
    await deps.store.remove(key).catch(() => undefined);
    throw outcome === 'missing' ? new DatasetNotFoundError(datasetId) : new DatasetChangedError(datasetId);
  }
  deps.catalog.forget(datasetId);
  const appended: Record<string, number> = {};
  for (const row of checked) appended[row.series] = (appended[row.series] ?? 0) + 1;
  return { record: updated, appended, rows: checked };
}
