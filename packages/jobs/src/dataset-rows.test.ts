import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { createArtifactStore } from './store.ts';
import { DatasetCatalog, DatasetNotFoundError } from './datasets.ts';
import { DatasetRegistry, registryKey, type PriceDatasetRecord } from './registry.ts';
import { UsageIndex } from './usage.ts';
import { deleteDataset } from './deletion.ts';
import { appendPriceRows, BuiltinDatasetAppendError, checkAppendedRows, DatasetChangedError } from './dataset-rows.ts';

const root = await mkdtemp(path.join(tmpdir(), 'mlq-rows-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const csv = ['date,symbol,close', '2020-01-01,A,1', '2020-01-02,A,2', '2020-01-01,B,10', '2020-01-03,B,11'].join('\n');

describe('checkAppendedRows', () => {
  const collection = { seriesNames: () => ['A', 'B'], dates: (series: string) => (series === 'A' ? ['2020-01-02'] : ['2020-01-03']) };
  it('names the series, a real date after the last one, in order per series', () => {
    expect(
      checkAppendedRows(collection, 'd', [
        { series: 'A', date: '2020-01-03', close: 3 },
        { series: 'B', date: '2020-01-04', close: 12 },
        { series: 'A', date: '2020-01-05', close: 4 },
      ]),
    ).toEqual([
      { series: 'A', date: '2020-01-03', close: 3 },
      { series: 'B', date: '2020-01-04', close: 12 },
      { series: 'A', date: '2020-01-05', close: 4 },
    ]);
    const refused = (rows: Parameters<typeof checkAppendedRows>[2]) => {
      try {
        checkAppendedRows(collection, 'd', rows);
      } catch (error) {
        return { field: (error as { field?: string }).field, message: (error as Error).message };
      }
      throw new Error('accepted');
    };
    expect(refused([{ date: '2020-01-05', close: 1 }])).toEqual({ field: 'body/rows/0/series', message: 'dataset d has 2 series; name the series of each row' });
    expect(refused([{ series: 'C', date: '2020-01-05', close: 1 }]).field).toBe('body/rows/0/series');
    expect(refused([{ series: 'A', date: '2020-01-02', close: 1 }]).message).toBe('2020-01-02 is not after 2020-01-02, the last date of series "A"');
    expect(refused([{ series: 'A', date: '2020-13-01', close: 1 }]).field).toBe('body/rows/0/date');
    expect(
      refused([
        { series: 'A', date: '2020-01-04', close: 1 },
        { series: 'A', date: '2020-01-04', close: 2 },
      ]).field,
    ).toBe('body/rows/1/date');
    expect(refused([{ series: 'A', date: '2020-01-04', close: Number.NaN }]).field).toBe('body/rows/0/close');
  });
});

describe('appendPriceRows (real Redis, a store on disk)', () => {
  const testRedis = useTestRedisClient();

  const open = async () => {
    const dir = await mkdtemp(path.join(root, 'store-'));
    const prefix = `${testRedis.redis.prefix}-${path.basename(dir)}`;
    const redis = testRedis.client;
    const store = createArtifactStore({ dir, redis, prefix, quotaBytes: 0 });
    const registry = new DatasetRegistry(redis, prefix);
    const record: PriceDatasetRecord = {
      id: 'ds_rows',
      name: 'long.csv',
      kind: 'prices',
      source: 'upload',
      description: '',
      format: 'long',
      summary: { format: 'long', seriesCount: 2, rowCount: 4, series: [] },
      createdAt: new Date().toISOString(),
      artifactKey: 'datasets/ds_rows/data.csv',
      bytes: csv.length,
    };
    await store.put(record.artifactKey!, new TextEncoder().encode(csv));
    await registry.add(record);
    const catalog = new DatasetCatalog(registry, store);
    return { dir, prefix, redis, store, registry, catalog, deps: { redis, prefix, store, catalog } };
  };

  it('makes the next version: the rows in a file of their own, the summary updated, every reader sees them', async () => {
    const { dir, prefix, redis, store, registry, catalog, deps } = await open();
    // A second catalog (another process) that parsed version 1 before the append.
    const other = new DatasetCatalog(registry, store);
    expect((await other.series('ds_rows')).collection.closes('A')).toEqual([1, 2]);

    const first = await appendPriceRows(deps, 'ds_rows', [
      { series: 'A', date: '2020-01-03', close: 3 },
      { series: 'B', date: '2020-01-04', close: 12 },
    ]);
    expect(first.appended).toEqual({ A: 1, B: 1 });
    expect(first.record).toMatchObject({ version: 2, summary: { rowCount: 6 } });
    expect(first.record.summary.series.find((s) => s.name === 'B')).toEqual({ name: 'B', rows: 3, from: '2020-01-01', to: '2020-01-04' });
    const second = await appendPriceRows(deps, 'ds_rows', [{ series: 'A', date: '2020-01-04', close: 4 }]);
    expect(second.record.version).toBe(3);
    expect(second.record.appended).toHaveLength(2);

    for (const reader of [catalog, other]) {
      const { collection, record } = await reader.series('ds_rows');
      expect(record.version).toBe(3);
      expect(collection.closes('A')).toEqual([1, 2, 3, 4]);
      expect(collection.dates('B')).toEqual(['2020-01-01', '2020-01-03', '2020-01-04']);
      expect(collection.rows('A').at(-1)).toMatchObject({ close: 4, open: null, volume: null });
    }

    // Deleting the dataset removes every file of it, the appended rows' too, and their bytes.
    const usage = new UsageIndex(redis, prefix);
    await deleteDataset({ usage, store }, 'ds_rows');
    expect(existsSync(path.join(dir, 'datasets', 'ds_rows'))).toBe(false);
    expect((await store.usage()).usedBytes).toBe(0);
    await expect(appendPriceRows(deps, 'ds_rows', [{ series: 'A', date: '2020-01-09', close: 1 }])).rejects.toBeInstanceOf(DatasetNotFoundError);
  });

  it('refuses an append that another one overtook, leaving no file behind', async () => {
    const { dir, redis, prefix, deps } = await open();
    // Another append lands between this one's read and its write: the record's version moves on.
    const realStorePut = deps.store.put.bind(deps.store);
    deps.store.put = async (key, data) => {
      await realStorePut(key, data);
      const json = (await redis.get(registryKey(prefix, 'dataset', 'ds_rows')))!;
      await redis.set(registryKey(prefix, 'dataset', 'ds_rows'), JSON.stringify({ ...JSON.parse(json), version: 7 }));
    };
    await expect(appendPriceRows(deps, 'ds_rows', [{ series: 'A', date: '2020-01-03', close: 3 }])).rejects.toBeInstanceOf(DatasetChangedError);
    expect(existsSync(path.join(dir, 'datasets', 'ds_rows', 'rows'))).toBe(true);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.join(dir, 'datasets', 'ds_rows', 'rows'))).toEqual([]);
  });

  it('refuses built-in datasets', async () => {
    const { deps } = await open();
    await expect(appendPriceRows(deps, 'crypto-top100', [{ series: 'Bitcoin', date: '2030-01-01', close: 1 }])).rejects.toBeInstanceOf(BuiltinDatasetAppendError);
  });
});
