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
    await this.redis
      .multi()
      .xadd(this.key, '*', ...fields)
      .expire(this.key, TEXT_STREAM_TTL_SECONDS)
      .exec();
  }
}

type StreamEntries = Array<[string, string[]]>;

/** Whether stream entry id `a` comes after `b` (`<ms>-<seq>`, compared as numbers). */
function isAfter(a: string, b: string): boolean {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am > bm || (am === bm && as > bs);
}

/** One open text stream of a `SharedTextStreamReader`. */
export interface TextStreamSubscription {
  /** Reads what is left after the job ended (entries written just before it did), delivers it, and stops. */
  finish(): Promise<void>;
  /** Stops delivering. */
  close(): void;
}

interface Subscriber {
  key: string;
  lastId: string;
  deliver(entry: TextStreamEntry): void;
}

/**
 * Reads the text streams of every open `POST /v1/predict?stream=true` of this API replica over ONE
 * blocking connection: an XREAD BLOCK on all open streams' keys at once, its entries dispatched to
 * their subscribers. A stream opened while the read blocks is added at once (CLIENT UNBLOCK from
 * the `control` connection, else within `blockMs`). At most `maxStreams` keys are read at a time.
 */
export class SharedTextStreamReader {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private running = false;
  private blocking = false;
  private closed = false;
  private readerId: number | undefined;

  constructor(
    private readonly reader: Redis,
    private readonly control: Redis,
    private readonly prefix: string,
    private readonly options: { blockMs?: number; maxStreams?: number } = {},
  ) {
    reader.on('ready', () => (this.readerId = undefined));
  }

  /** Open streams (distinct jobs) being read. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Delivers a job's text stream from its start, in order, each entry once, until `end` or `close()`. */
  subscribe(jobId: string, deliver: (entry: TextStreamEntry) => void): TextStreamSubscription {
    const key = textStreamKey(this.prefix, jobId);
    const subscriber: Subscriber = { key, lastId: '0', deliver };
    let set = this.subscribers.get(key);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(subscriber);
    this.wake();
    const remove = () => {
      const current = this.subscribers.get(key);
      current?.delete(subscriber);
      if (current?.size === 0) this.subscribers.delete(key);
    };
    return {
      finish: async () => {
        if (!this.subscribers.get(key)?.has(subscriber)) return;
        const tail = (await this.control.xrange(key, subscriber.lastId === '0' ? '-' : `(${subscriber.lastId}`, '+')) as StreamEntries;
        this.dispatch(subscriber, tail);
        remove();
      },
      close: remove,
    };
  }

  /** Stops reading; open subscriptions get nothing more. */
  close(): void {
    this.closed = true;
    this.subscribers.clear();
    this.reader.disconnect();
  }

  private wake(): void {
    if (!this.running) {
      this.running = true;
      void this.run();
    } else if (this.blocking && this.readerId !== undefined) {
      // Ends the blocked XREAD now (it answers null), so the next one includes the new key.
      this.control.client('UNBLOCK', this.readerId).catch(() => {});
    }
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed && this.subscribers.size > 0) {
        this.readerId ??= Number(await this.reader.client('ID'));
        const open = [...this.subscribers.entries()].slice(0, this.options.maxStreams ?? 10_000);
        // Each key is read from the earliest point any of its subscribers still needs.
        const from = open.map(([, set]) => [...set].reduce((least, s) => (isAfter(least, s.lastId) ? s.lastId : least), [...set][0]!.lastId));
        this.blocking = true;
        let answer: Array<[string, StreamEntries]> | null;
        try {
          answer = (await this.reader.xread('COUNT', 100, 'BLOCK', this.options.blockMs ?? 1000, 'STREAMS', ...open.map(([key]) => key), ...from)) as typeof answer;
        } finally {
          this.blocking = false;
        }
        for (const [key, entries] of answer ?? []) {
          for (const subscriber of [...(this.subscribers.get(key) ?? [])]) this.dispatch(subscriber, entries);
        }
      }
    } catch {
      // A broken connection: wait a moment, then read again (ioredis reconnects).
      if (!this.closed) await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      this.running = false;
      this.blocking = false;
    }
    if (!this.closed && this.subscribers.size > 0) this.wake();
  }

  private dispatch(subscriber: Subscriber, entries: StreamEntries): void {
    for (const [id, fields] of entries) {
      if (!isAfter(id, subscriber.lastId)) continue;
      subscriber.lastId = id;
      const entry = toEntry(fields);
      subscriber.deliver(entry);
      if (entry.type === 'end') {
        const set = this.subscribers.get(subscriber.key);
        set?.delete(subscriber);
        if (set?.size === 0) this.subscribers.delete(subscriber.key);
        return;
      }
    }
  }
}

function toEntry(fields: string[]): TextStreamEntry {
  const [field, value = ''] = fields;
  if (field === 'text') return { type: 'text', text: value };
  if (field === 'reset') return { type: 'reset', attempt: Number(value) };
  return { type: 'end' };
}
