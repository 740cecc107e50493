import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { ModelReferences } from './model-references.ts';
import { ModelNotFoundError, ModelRegistry, registryGenerationKey, type NewModelRecord } from './registry.ts';
import { RegistryChangedError, UsageIndex } from './usage.ts';

/**
 * Two processes on one Redis, each with its own connection: `here` caches references, `there`
 * registers and deletes models. What `there` changes is seen by `here` at its next request: through
 * the claim an enqueue makes (the API), or the generation read as a job starts (the worker).
 */
let redis: TestRedis;
let connections: Redis[];
let here: { registry: ModelRegistry; usage: UsageIndex };
let there: { registry: ModelRegistry; usage: UsageIndex };

beforeAll(async () => {
  redis = await startTestRedis();
  connections = [new Redis(redis.url), new Redis(redis.url)];
  [here, there] = connections.map((connection) => ({ registry: new ModelRegistry(connection, redis.prefix), usage: new UsageIndex(connection, redis.prefix) })) as [
    typeof here,
    typeof there,
  ];
});
afterAll(async () => {
  for (const connection of connections ?? []) connection.disconnect();
  await redis?.close();
});

const model = (id: string, name: string, kind: 'price' | 'textgen' = 'price'): NewModelRecord =>
  ({
    id,
    name,
    kind,
    architecture: kind === 'price' ? 'linear' : 'gru',
    dataset: 'd',
    series: 's',
    params: {},
    metrics: {},
    horizon: 1,
    lastDate: null,
    dateStepDays: 1,
    artifactStore: 'file',
    artifactPrefix: `models/${id}`,
    byteSize: 1,
    backend: 'cpu',
    trainJobId: id,
  }) as NewModelRecord;

/** The claims above were never followed by jobs: drop them, as those of finished jobs are, so the model can be deleted. */
const forgetClaims = (id: string) => connections[1]!.del(`${redis.prefix}:usage:model:${id}`);

let jobs = 0;
/** What the API does for a prediction: resolve, then claim with the generation it resolved at; again on a change. */
async function claimPrediction(references: ModelReferences, reference: string): Promise<string> {
  let resolved = await references.resolve(reference);
  for (;;) {
    try {
      await here.usage.claim({ queue: 'predict', id: `pr_refs${++jobs}` }, [{ type: 'model', id: resolved.record.id }], { registryGeneration: resolved.generation });
      return resolved.record.id;
    } catch (error) {
      if (!(error instanceof RegistryChangedError)) throw error;
      references.adopt(error.generation);
      resolved = await references.resolve(reference);
    }
  }
}

describe('ModelReferences (real Redis, two connections)', () => {
  it('answers from memory once resolved: ids, names, name@latest and name@N each', async () => {
    const v1 = await there.registry.register(model('m_mem1', 'mem'));
    const references = new ModelReferences(here.registry);
    for (const reference of [v1.id, 'mem', 'mem@latest', 'mem@1']) {
      expect(await references.resolve(reference)).toMatchObject({ record: { id: v1.id }, cached: false });
      expect(await references.resolve(reference)).toMatchObject({ record: { id: v1.id }, cached: true });
    }
    expect(references.size).toBe(4);
    await expect(references.resolve('mem@2')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(references.size).toBe(4); // nothing is remembered of a miss
  });

  it('API: a version registered by another process is what the next enqueue gets', async () => {
    const v1 = await there.registry.register(model('m_api1', 'api'));
    const references = new ModelReferences(here.registry);
    expect(await claimPrediction(references, 'api')).toBe(v1.id);
    expect((await references.resolve('api')).cached).toBe(true);
    const v2 = await there.registry.register(model('m_api2', 'api'));
    // Memory still holds v1, but the claim made with it fails: the registry changed.
    const stale = await references.resolve('api');
    expect(stale).toMatchObject({ record: { id: v1.id }, cached: true });
    const refused = await here.usage
      .claim({ queue: 'predict', id: 'pr_refs_stale' }, [{ type: 'model', id: v1.id }], { registryGeneration: stale.generation })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegistryChangedError);
    expect(await here.usage.users({ type: 'model', id: v1.id })).not.toContainEqual({ queue: 'predict', id: 'pr_refs_stale' });
    expect(await claimPrediction(references, 'api')).toBe(v2.id);
    expect(await claimPrediction(references, 'api@1')).toBe(v1.id);
  });

  it('API: a model deleted by another process is not found by the next enqueue', async () => {
    const v1 = await there.registry.register(model('m_del1', 'del'));
    const v2 = await there.registry.register(model('m_del2', 'del'));
    const references = new ModelReferences(here.registry);
    expect(await claimPrediction(references, 'del')).toBe(v2.id);
    expect(await claimPrediction(references, v1.id)).toBe(v1.id);
    await forgetClaims(v2.id);
    await there.usage.deleteModelRecords([v2.id]);
    expect(await claimPrediction(references, 'del')).toBe(v1.id);
    await forgetClaims(v1.id);
    await there.usage.deleteModelRecords([v1.id]);
    await expect(claimPrediction(references, 'del')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(claimPrediction(references, v1.id)).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('worker: reading the generation as a job starts drops what another process changed since', async () => {
    const v1 = await there.registry.register(model('m_wk1', 'wk'));
    const references = new ModelReferences(here.registry);
    await references.sync();
    expect((await references.resolve('wk')).record.id).toBe(v1.id);
    const v2 = await there.registry.register(model('m_wk2', 'wk'));
    await references.sync();
    expect(await references.resolve('wk')).toMatchObject({ record: { id: v2.id }, cached: false });
    await references.sync(); // nothing changed: memory holds
    expect(await references.resolve('wk')).toMatchObject({ record: { id: v2.id }, cached: true });
    await there.usage.deleteModelRecords([v1.id, v2.id]);
    await references.sync();
    await expect(references.resolve('wk')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(references.resolve(v1.id)).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('a registry whose generation went back (Redis flushed or replaced) is not trusted from memory', async () => {
    const v1 = await there.registry.register(model('m_flush1', 'flush'));
    const references = new ModelReferences(here.registry);
    await references.sync();
    expect((await references.resolve('flush')).cached).toBe(false);
    expect((await references.resolve('flush')).cached).toBe(true);
    await connections[1]!.set(registryGenerationKey(redis.prefix), 0);
    await references.sync();
    expect(await references.resolve('flush')).toMatchObject({ record: { id: v1.id }, cached: false });
  });

  it('keeps at most its bound of references, forgetting the oldest', async () => {
    await there.registry.register(model('m_bound', 'bound'));
    const references = new ModelReferences(here.registry, 2);
    await references.resolve('bound');
    await references.resolve('bound@1');
    await references.resolve('m_bound');
    expect(references.size).toBe(2);
    expect((await references.resolve('bound')).cached).toBe(false);
    expect((await references.resolve('m_bound')).cached).toBe(true);
  });
});
