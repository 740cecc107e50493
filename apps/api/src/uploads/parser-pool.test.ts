import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetParseError } from '@mlq/datasets';
import { HttpError } from '../plugins/errors.ts';
import { UploadParserPool, UploadPoolFullError } from './parser-pool.ts';
import type { UploadTask } from './upload-task.ts';
import { ZipFileWriter } from '../../../../packages/datasets/src/conversations/testing/zip-writer.ts';

const MiB = 1024 * 1024;
let dir: string;
let pool: UploadParserPool;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlq-parser-pool-'));
  pool = new UploadParserPool({ threads: 1, queueLength: 0, heapMb: 256 });
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

async function task(name: string, content: string, kind: UploadTask['kind'] = 'prices'): Promise<UploadTask> {
  const path = join(dir, name);
  await writeFile(path, content);
  return { kind, path, bytes: Buffer.byteLength(content), name, format: 'auto', maxBytes: 20 * MiB, maxMessengerJsonBytes: MiB };
}

/** Resolves with how many times the event loop turned (setImmediate) while `promise` was pending. */
async function turnsWhilePending(promise: Promise<unknown>): Promise<number> {
  let settled = false;
  const done = promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  let turns = 0;
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    turns++;
  }
  await done;
  return turns;
}

const csv = (rows: number) => 'Date,Close\n' + Array.from({ length: rows }, (_, i) => `${new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)},${i + 1}`).join('\n');

describe('UploadParserPool', () => {
  it('parses in a thread and returns the summary and the bytes to store', async () => {
    const parsed = await pool.parse(await task('coin.csv', csv(30)));
    expect(parsed).toMatchObject({ kind: 'prices', file: 'data.csv', summary: { series: [{ name: 'coin', rows: 30 }] } });
    expect(Buffer.from(parsed.stored).toString()).toBe(csv(30));
  });

  it('keeps a parse error a DatasetParseError across the thread, with file, line and column', async () => {
    const error = await pool.parse(await task('prices.csv', 'Date,Close\n2017-09-22,10\n2017-09-21,abc\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ file: 'prices.csv', line: 3, column: 'Close' });
    expect((error as Error).message).toMatch(/^prices\.csv line 3, column "Close": "abc"/);
  });

  it('keeps the event loop turning while a hostile upload is parsed (1 MB of `*` in the header, a 1 MB cell)', async () => {
    // Ordering, not timing: a parser on the event loop would let it turn 0 times before answering.
    const stars = pool.parse(await task('stars.csv', `${'*'.repeat(MiB)}x,Close\n2024-01-01,1\n`));
    expect(await turnsWhilePending(stars)).toBeGreaterThan(0);
    await expect(stars).rejects.toBeInstanceOf(DatasetParseError);
    const cell = pool.parse(await task('cell.csv', `Date,Close\n2024-01-01,${'9'.repeat(MiB)}x\n`));
    expect(await turnsWhilePending(cell)).toBeGreaterThan(0);
    await expect(cell).rejects.toThrow(/cell\.csv line 2, column "Close"/);
  });

  it('refuses with 503 and a retry-after when every thread is busy and the queue is full', async () => {
    const busy = pool.parse(await task('big.csv', csv(50_000)));
    const refused = pool.parse(await task('second.csv', csv(10))).catch((e: unknown) => e);
    expect(await refused).toBeInstanceOf(UploadPoolFullError);
    expect(await refused).toMatchObject({ statusCode: 503, retryAfterSeconds: 5 });
    expect(pool.hasRoom()).toBe(false);
    await busy;
    expect(pool.hasRoom()).toBe(true);
  });

  it('fails only the upload that runs its thread out of memory, with 413, and parses the next one', async () => {
    // Many small message files: the heap fills gradually, which V8 reports to Node as the
    // thread's limit (one allocation larger than the whole limit would be fatal to the process
    // instead, which is why the API sizes the limit well above its upload bounds).
    const path = join(dir, 'many-threads.zip');
    const zip = new ZipFileWriter(path);
    for (let thread = 0; thread < 30; thread++) {
      const messages = Array.from({ length: 12_000 }, (_, i) => ({
        sender_name: i % 2 ? 'Me' : `Friend ${thread}`,
        timestamp_ms: 1e12 - i * 60_000,
        content: `message ${i} of thread ${thread}`,
      }));
      await zip.addDeflated(`messages/inbox/t_${thread}/message_1.json`, Buffer.from(JSON.stringify({ participants: [{ name: 'Me' }], messages })));
    }
    const bytes = await zip.finish();
    const small = new UploadParserPool({ threads: 1, queueLength: 1, heapMb: 40 });
    try {
      const error = await small
        .parse({ kind: 'messenger', owner: 'Me', path, bytes, name: 'export.zip', format: 'auto', maxBytes: 20 * MiB, maxMessengerJsonBytes: 1024 * MiB })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ statusCode: 413 });
      expect((error as Error).message).toBe("parsing this upload needs more than the parse thread's 40 MiB of memory");
      await expect(small.parse(await task('after.csv', csv(5)))).resolves.toMatchObject({ kind: 'prices' });
    } finally {
      await small.close();
    }
  });
});
