import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSeasonalSeries, initBackend, trainPriceModel } from '@mlq/models';
import { FileSystemArtifactStore, modelKinds, scopedArtifacts, type PriceModelRecord, type TextGenModelRecord } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { ModelCache } from '../model-cache.ts';
import { workerFamilies, workerFamilyOf, type LoadedModel } from './index.ts';
import { priceWorkerFamily } from './price.ts';
import { textGenWorkerFamily } from './textgen.ts';
import { useModel } from './worker-family.ts';

describe('the worker families', () => {
  it('cover every kind of the specs, in their order, and are found by kind', () => {
    expect(workerFamilies.map((family) => family.kind)).toEqual(modelKinds);
    for (const kind of modelKinds) expect(workerFamilyOf(kind).kind).toBe(kind);
    expect(() => workerFamilyOf('tabular' as never)).toThrow('no worker family for model kind "tabular"');
  });
});

describe('useModel', () => {
  let storeDir: string;
  let ctx: Pick<ProcessorContext, 'store' | 'cache'>;
  const record = { id: 'm_linear', kind: 'price', artifactPrefix: 'models/m_linear' } as PriceModelRecord;

  beforeAll(async () => {
    await initBackend('cpu');
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'mlq-worker-families-'));
    ctx = { store: new FileSystemArtifactStore(storeDir), cache: new ModelCache<LoadedModel>(10_000_000) };
    const model = await trainPriceModel(generateSeasonalSeries({ length: 60, seed: 2 }), { kind: 'linear', horizon: 3 });
    await model.save(scopedArtifacts(ctx.store, record.artifactPrefix));
    model.dispose();
  });
  afterAll(async () => {
    ctx.cache.clear();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('loads a model through its family on a miss and keeps it for the next use', async () => {
    const forecast = (model: { forecast(steps: number): Promise<number[]> }) => model.forecast(3);
    const first = await useModel(ctx as ProcessorContext, priceWorkerFamily, record, forecast);
    const second = await useModel(ctx as ProcessorContext, priceWorkerFamily, record, forecast);
    expect(first).toMatchObject({ hit: false });
    expect(first.value).toHaveLength(3);
    expect(second).toEqual({ value: first.value, hit: true });
    expect(ctx.cache.stats()).toMatchObject({ entries: 1, misses: 1, hits: 1 });
  });

  it('refuses a cached model of another family under the record id, naming both', async () => {
    const textRecord = { ...record, kind: 'textgen' } as unknown as TextGenModelRecord;
    await expect(useModel(ctx as ProcessorContext, textGenWorkerFamily, textRecord, async () => 'never')).rejects.toThrow('model m_linear (textgen) loaded as PriceModel');
  });
});
