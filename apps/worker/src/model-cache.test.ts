import { describe, expect, it } from 'vitest';
import { ModelCache } from './model-cache.ts';

class FakeModel {
  disposed = false;
  constructor(readonly id: string) {}
  dispose() {
    this.disposed = true;
  }
}

const loader = (id: string, bytes: number, loads: string[]) => async () => {
  loads.push(id);
  return { model: new FakeModel(id), bytes };
};

describe('ModelCache', () => {
  it('hits after the first load and evicts least recently used beyond its byte bound, disposing it', async () => {
    const cache = new ModelCache<FakeModel>(100);
    const loads: string[] = [];
    const a = await cache.use('a', loader('a', 40, loads), (m) => m);
    await cache.use('b', loader('b', 40, loads), (m) => m);
    expect((await cache.use('a', loader('a', 40, loads), (m) => m.id)).hit).toBe(true);
    await cache.use('c', loader('c', 40, loads), (m) => m); // evicts b, the least recently used
    expect(loads).toEqual(['a', 'b', 'c']);
    expect(cache.has('b')).toBe(false);
    expect(a.value.disposed).toBe(false);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, evictions: 1, bytes: 80, entries: 2 });
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new ModelCache<FakeModel>(100);
    const loads: string[] = [];
    const results = await Promise.all([1, 2, 3].map(() => cache.use('x', loader('x', 10, loads), (m) => m)));
    expect(loads).toEqual(['x']);
    expect(new Set(results.map((r) => r.value)).size).toBe(1);
  });

  it('uses a model larger than the bound once and disposes it', async () => {
    const cache = new ModelCache<FakeModel>(10);
    const { value } = await cache.use('huge', loader('huge', 11, []), (m) => m);
    expect(value.disposed).toBe(true);
    expect(cache.stats().entries).toBe(0);
  });

  it('tells the caller to dispose a model it did not keep', () => {
    const cache = new ModelCache<FakeModel>(10);
    expect(cache.add('m', new FakeModel('m'), 5)).toBe(true);
    expect(cache.add('m', new FakeModel('m'), 5)).toBe(false);
    expect(cache.add('big', new FakeModel('big'), 50)).toBe(false);
    cache.clear();
    expect(cache.stats().bytes).toBe(0);
  });

  it('keeps a model that useAsync runs on alive when it is evicted meanwhile, and disposes it after', async () => {
    const cache = new ModelCache<FakeModel>(50);
    const loads: string[] = [];
    let finish!: () => void;
    const running = cache.useAsync('a', loader('a', 40, loads), async (m) => {
      await new Promise<void>((resolve) => (finish = resolve));
      return m;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await cache.use('b', loader('b', 40, loads), (m) => m); // evicts a while it runs
    expect(cache.has('a')).toBe(false);
    finish();
    const { value: a } = await running;
    expect(a.disposed).toBe(true);
    expect(cache.stats()).toMatchObject({ evictions: 1, entries: 1, bytes: 40 });
  });

  it('disposes a model larger than the bound only after its last concurrent user', async () => {
    const cache = new ModelCache<FakeModel>(10);
    const seen: boolean[] = [];
    await Promise.all(
      [1, 2].map(() =>
        cache.useAsync('huge', loader('huge', 11, []), async (m) => {
          await new Promise((resolve) => setImmediate(resolve));
          seen.push(m.disposed);
        }),
      ),
    );
    expect(seen).toEqual([false, false]);
  });
});
