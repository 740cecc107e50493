import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError, FileSystemArtifactStore, scopedArtifacts } from './store.ts';

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
