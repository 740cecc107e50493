import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { removeStaleUploads } from './stale-uploads.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

it('removes temporary uploads older than the bound, and only those', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mlq-stale-uploads-'));
  dirs.push(dir);
  const day = 24 * 60 * 60 * 1000;
  for (const name of ['old.upload', 'fresh.upload', 'old.other']) await writeFile(join(dir, name), 'x');
  const twoDaysAgo = new Date(Date.now() - 2 * day);
  await utimes(join(dir, 'old.upload'), twoDaysAgo, twoDaysAgo);
  await utimes(join(dir, 'old.other'), twoDaysAgo, twoDaysAgo);
  expect(await removeStaleUploads(dir, day)).toBe(1);
  expect((await readdir(dir)).sort()).toEqual(['fresh.upload', 'old.other']);
  expect(await removeStaleUploads(join(dir, 'missing'), day)).toBe(0);
});
