import { describe, expect, it } from 'vitest';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { ModelNotFoundError, ModelRegistry, type NewModelRecord } from './registry.ts';

const testRedis = useTestRedisClient();

const model = (id: string, name: string): NewModelRecord => ({
  id,
  name,
  kind: 'price',
  architecture: 'lstm',
  dataset: 'd',
  series: 's',
  params: {},
  metrics: {},
  horizon: 10,
  lastDate: null,
  dateStepDays: 1,
  artifactStore: 'file:///tmp',
  artifactPrefix: `models/${id}`,
  byteSize: 1,
  backend: 'cpu',
  trainJobId: id,
});

describe('ModelRegistry (real Redis)', () => {
  it('versions per name, resolves latest, a version, or an id, and lists newest first', async () => {
    const registry = new ModelRegistry(testRedis.client, testRedis.redis.prefix);
    const v1 = await registry.register(model('m_a', 'btc'));
    const v2 = await registry.register(model('m_b', 'btc'));
    await registry.register(model('m_c', 'eth'));
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect((await registry.resolve('btc')).id).toBe('m_b');
    expect((await registry.resolve('btc@latest')).id).toBe('m_b');
    expect((await registry.resolve('btc@1')).id).toBe('m_a');
    expect((await registry.resolve('m_c')).name).toBe('eth');
    // Every registration counts as a change, read in the same step as a resolution.
    expect(await registry.generation()).toBe(3);
    expect(await registry.resolveWithGeneration('btc@1')).toEqual({ record: v1, generation: 3 });
    await expect(registry.resolve('btc@3')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(registry.resolve('doge')).rejects.toThrow('model not found: doge');
    const page = await registry.list({ offset: 0, limit: 2 });
    expect(page.total).toBe(3);
    expect(page.models).toHaveLength(2);
    expect((await registry.list({ offset: 0, limit: 10, name: 'btc' })).models.map((m) => m.version)).toEqual([2, 1]);
  });

  it('registering the same id again (a retried job) returns the existing version', async () => {
    const registry = new ModelRegistry(testRedis.client, testRedis.redis.prefix);
    const first = await registry.register(model('m_retry', 'retry'));
    const generation = await registry.generation();
    const second = await registry.register(model('m_retry', 'retry'));
    expect(second).toEqual(first);
    expect(await registry.generation()).toBe(generation); // nothing changed
    expect((await registry.list({ offset: 0, limit: 10, name: 'retry' })).total).toBe(1);
  });
});
