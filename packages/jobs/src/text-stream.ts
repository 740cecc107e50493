import type { Redis } from 'ioredis';

/**
 * Characters of a textgen prediction as they are generated, in a Redis stream per job: the worker
 * appends, any API replica reads from the start (a client that connects late misses nothing).
 * Entries: `text` (a chunk), `reset` (a new attempt starts over: drop what came before), `end`.
 */
export const textStreamKey = (prefix: string, jobId: string) => `${prefix}:text:${jobId}`;

/** How long a finished stream stays readable. */
export const TEXT_STREAM_TTL_SECONDS = 3600;

export type TextStreamEntry = { type: 'text'; text: string } | { type: 'reset'; attempt: number } | { type: 'end' };

/** Buffers chunks and appends them at most every `flushMs`, so a 2,000-character generation is tens of writes, not thousands. */
export class TextStreamWriter {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    jobId: string,
    private readonly flushMs = 50,
  ) {
    this.key = textStreamKey(prefix, jobId);
  }

  /** Marks the start of an attempt; a reader drops text of earlier attempts. */
  async start(attempt: number): Promise<void> {
    await this.append(['reset', String(attempt)]);
  }

  write(chunk: string): void {
    this.buffer += chunk;
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Appends what is buffered; resolves once every write so far is in Redis. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer) {
      const text = this.buffer;
      this.buffer = '';
      this.pending = this.pending.then(() => this.append(['text', text]));
    }
    await this.pending;
  }

  async end(): Promise<void> {
    await this.flush();
    await this.append(['end', '1']);
  }

  private async append(fields: [string, string]): Promise<void> {
    await this.redis.multi().xadd(this.key, '*', ...fields).expire(this.key, TEXT_STREAM_TTL_SECONDS).exec();
  }
}

/**
 * Reads a job's text stream from its start until `end`, or until `isFinished()` says the job ended
 * without one (it failed before writing it). Needs a connection of its own (XREAD BLOCK holds it).
 */
export async function* readTextStream(
  redis: Redis,
  prefix: string,
  jobId: string,
  options: { blockMs?: number; isFinished: () => Promise<boolean>; signal?: AbortSignal },
): AsyncGenerator<TextStreamEntry> {
  const key = textStreamKey(prefix, jobId);
  let lastId = '0';
  while (!options.signal?.aborted) {
    const answer = (await redis.xread('COUNT', 100, 'BLOCK', options.blockMs ?? 1000, 'STREAMS', key, lastId)) as
      | Array<[string, Array<[string, string[]]>]>
      | null;
    const entries = answer?.[0]?.[1] ?? [];
    if (entries.length === 0) {
      // One more read after the job ended catches entries written just before it did.
      if (await options.isFinished()) {
        const tail = (await redis.xrange(key, lastId === '0' ? '-' : `(${lastId}`, '+')) as Array<[string, string[]]>;
        for (const [id, fields] of tail) {
          lastId = id;
          const entry = toEntry(fields);
          yield entry;
          if (entry.type === 'end') return;
        }
        return;
      }
      continue;
    }
    for (const [id, fields] of entries) {
      lastId = id;
      const entry = toEntry(fields);
      yield entry;
      if (entry.type === 'end') return;
    }
  }
}

function toEntry(fields: string[]): TextStreamEntry {
  const [field, value = ''] = fields;
  if (field === 'text') return { type: 'text', text: value };
  if (field === 'reset') return { type: 'reset', attempt: Number(value) };
  return { type: 'end' };
}
