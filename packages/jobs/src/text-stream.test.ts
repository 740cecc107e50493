import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { SharedTextStreamReader, TextStreamWriter, type TextStreamEntry } from './text-stream.ts';

let redis: TestRedis;
let writer: Redis;
let control: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  writer = new Redis(redis.url);
  control = new Redis(redis.url);
});
afterAll(async () => {
  writer?.disconnect();
  control?.disconnect();
  await redis?.close();
});

const collect = (reader: SharedTextStreamReader, jobId: string) => {
  const entries: TextStreamEntry[] = [];
  let ended: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const subscription = reader.subscribe(jobId, (entry) => {
    entries.push(entry);
    if (entry.type === 'end') ended();
  });
  return { entries, done, subscription };
};

describe('SharedTextStreamReader', () => {
  it("reads many jobs' streams over one connection, each from its start, in order, and adds a stream while blocked", async () => {
    // A block far longer than the test: a stream added meanwhile must be read at once (CLIENT UNBLOCK), not after it.
    const reader = new SharedTextStreamReader(new Redis(redis.url, { maxRetriesPerRequest: null }), control, redis.prefix, { blockMs: 600_000 });
    const early = new TextStreamWriter(writer, redis.prefix, 'pr_early', 1);
    await early.start(1);
    early.write('written before anyone read');
    await early.flush();

    const first = collect(reader, 'pr_early');
    await new Promise((r) => setTimeout(r, 100)); // the reader is now blocked on one key
    const others = Array.from({ length: 20 }, (_, i) => ({ id: `pr_${i}`, ...collect(reader, `pr_${i}`) }));
    expect(reader.size).toBe(21);
    for (const [i, other] of others.entries()) {
      const w = new TextStreamWriter(writer, redis.prefix, other.id, 1);
      await w.start(1);
      for (const part of ['a', 'b', 'c']) {
        w.write(`${part}${i}`);
        await w.flush();
      }
      await w.end();
    }
    // Read while the first stream is still silent: the blocked read was ended to take the new keys.
    await Promise.all(others.map((o) => o.done));
    await early.end();
    await first.done;
    expect(first.entries).toEqual([{ type: 'reset', attempt: 1 }, { type: 'text', text: 'written before anyone read' }, { type: 'end' }]);
    for (const [i, other] of others.entries()) {
      expect(other.entries).toEqual([{ type: 'reset', attempt: 1 }, { type: 'text', text: `a${i}` }, { type: 'text', text: `b${i}` }, { type: 'text', text: `c${i}` }, { type: 'end' }]);
    }
    expect(reader.size).toBe(0);
    reader.close();
  });

  it('finish() delivers what a job wrote before it ended without an end entry, once', async () => {
    const reader = new SharedTextStreamReader(new Redis(redis.url, { maxRetriesPerRequest: null }), control, redis.prefix, { blockMs: 50 });
    const w = new TextStreamWriter(writer, redis.prefix, 'pr_failed', 1);
    await w.start(1);
    const { entries, subscription } = collect(reader, 'pr_failed');
    w.write('partial');
    await w.flush();
    await subscription.finish();
    await new Promise((r) => setTimeout(r, 150));
    expect(entries).toEqual([
      { type: 'reset', attempt: 1 },
      { type: 'text', text: 'partial' },
    ]);
    expect(reader.size).toBe(0);
    reader.close();
  });
});
