import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { ArtifactNotFoundError, ArtifactStoreError, createArtifactStore, FileSystemArtifactStore, scopedArtifacts, StoreQuotaExceededError } from './store.ts';

const root = await mkdtemp(path.join(tmpdir(), 'mlq-store-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('FileSystemArtifactStore', () => {
  const store = new FileSystemArtifactStore(root);

  it('puts, gets, checks and removes by prefix, leaving no temporary files', async () => {
    const io = scopedArtifacts(store, 'models/m1');
    await io.write('weights.bin', new Uint8Array([1, 2, 3]));
    await io.write('metadata.json', new TextEncoder().encode('{}'));
    expect([...(await io.read('weights.bin'))]).toEqual([1, 2, 3]);
    expect(await store.exists('models/m1/metadata.json')).toBe(true);
    expect((await readdir(path.join(root, 'models/m1'))).sort()).toEqual(['metadata.json', 'weights.bin']);
    await store.remove('models/m1');
    expect(await store.exists('models/m1/weights.bin')).toBe(false);
    await expect(store.get('models/m1/weights.bin')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('refuses keys that escape its directory', async () => {
    await expect(store.put('../escape', new Uint8Array())).rejects.toThrow(/invalid artifact key/);
    await expect(store.get('models/../../etc/passwd')).rejects.toThrow(/invalid artifact key/);
    await expect(store.get('/etc/passwd')).rejects.toThrow(/invalid artifact key/);
  });
});

describe('MeteredArtifactStore (real Redis)', () => {
  const testRedis = useTestRedisClient();

  const open = async (quotaBytes: number) => {
    const dir = await mkdtemp(path.join(root, 'metered-'));
    const prefix = `${testRedis.redis.prefix}-${path.basename(dir)}`;
    return { dir, prefix, store: createArtifactStore({ dir, redis: testRedis.client, prefix, quotaBytes }) };
  };
  const bytes = (n: number) => new Uint8Array(n).fill(7);

  it('counts bytes on put, overwrite and remove (a key, a folder), and shares the count between processes', async () => {
    const { dir, prefix, store } = await open(0);
    await store.put('models/m1/weights.bin', bytes(100));
    await store.put('models/m1/model.json', bytes(10));
    await store.put('datasets/ds1/data.csv', bytes(50));
    expect(await store.usage()).toEqual({ usedBytes: 160, quotaBytes: 0 });
    await store.put('models/m1/weights.bin', bytes(40)); // overwrite: the difference
    expect((await store.usage()).usedBytes).toBe(100);
    await store.put('checkpoints/tr1/step-1/weights.bin', bytes(5));
    await store.put('checkpoints/tr1/step-2/weights.bin', bytes(6));
    await store.remove('checkpoints/tr1/step-1');
    expect((await store.usage()).usedBytes).toBe(106);
    await store.remove('models/m1');
    expect((await store.usage()).usedBytes).toBe(56);
    const other = createArtifactStore({ dir, redis: testRedis.client, prefix, quotaBytes: 0 });
    await other.remove('datasets/ds1/data.csv');
    expect((await store.usage()).usedBytes).toBe(6);
    await store.remove('checkpoints');
    expect((await store.usage()).usedBytes).toBe(0);
  });

  it('refuses a put past the quota with used and limit, writes nothing, and admits it once space is freed', async () => {
    const { dir, store } = await open(1000);
    await store.put('datasets/ds1/data.csv', bytes(700));
    const refused = await store.put('datasets/ds2/data.csv', bytes(400)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreQuotaExceededError);
    expect((refused as Error).message).toMatch(/datasets\/ds2\/data\.csv needs 400 bytes, 700 of 1000 are used/);
    expect(existsSync(path.join(dir, 'datasets/ds2'))).toBe(false);
    expect((await store.usage()).usedBytes).toBe(700);
    await store.put('datasets/ds1/data.csv', bytes(900)); // growing a key counts its growth only
    await store.remove('datasets/ds1');
    await store.put('datasets/ds2/data.csv', bytes(400));
    expect((await store.usage()).usedBytes).toBe(400);
  });

  it('gives a reservation back when the write fails', async () => {
    const { dir, store } = await open(1000);
    await writeFile(path.join(dir, 'models'), 'a file where a folder should be');
    await expect(store.put('models/m1/weights.bin', bytes(600))).rejects.toBeInstanceOf(ArtifactStoreError);
    expect((await store.usage()).usedBytes).toBe(0);
  });

  it('indexes files already on disk once, then counts on', async () => {
    const { dir, prefix } = await open(0);
    const plain = new FileSystemArtifactStore(dir);
    await plain.put('models/old/weights.bin', bytes(30));
    await plain.put('datasets/old/data.csv', bytes(20));
    const store = createArtifactStore({ dir, redis: testRedis.client, prefix, quotaBytes: 0 });
    await store.indexExisting();
    await store.indexExisting(); // a second process: already done
    expect((await store.usage()).usedBytes).toBe(50);
    await store.remove('models/old');
    expect((await store.usage()).usedBytes).toBe(20);
  });
});

describe('store errors name the key, never the path', () => {
  it('a read of a folder, a write under a file and a missing key', async () => {
    const dir = await mkdtemp(path.join(root, 'errors-'));
    const store = new FileSystemArtifactStore(dir);
    await store.put('datasets/ds_a/data.csv', new Uint8Array([1]));
    await writeFile(path.join(dir, 'models'), 'not a folder');
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => new Error('no error'),
        (error: Error) => error,
      );
    const errors = await Promise.all([failure(store.get('datasets/ds_a')), failure(store.put('models/m_b/weights.bin', new Uint8Array([1]))), failure(store.get('datasets/ds_c/data.csv'))]);
    expect(errors.map((e) => e.message)).toEqual([
      'the artifact store could not read datasets/ds_a (EISDIR)',
      'the artifact store could not write models/m_b/weights.bin (ENOTDIR)',
      'artifact not found: datasets/ds_c/data.csv',
    ]);
    for (const error of errors) expect(error.message).not.toContain(dir);
    // The underlying error, with its path, is kept as the cause for the logs.
    expect(String((errors[1]!.cause as Error).message)).toContain(dir);
  });
});
