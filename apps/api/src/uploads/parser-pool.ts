import { Worker } from 'node:worker_threads';
import { HttpError } from '../plugins/errors.ts';
import { reviveUploadError, type SerializedUploadError } from './upload-errors.ts';
import type { ParsedUpload, UploadTask } from './upload-task.ts';

export interface ParseRequest {
  id: number;
  task: UploadTask;
}

export type ParseReply = { id: number; ok: true; parsed: ParsedUpload } | { id: number; ok: false; error: SerializedUploadError };

export interface UploadParserPoolOptions {
  /** Parse threads, started on first use. */
  threads: number;
  /** Uploads that may wait for a thread; beyond that {@link UploadParserPool.parse} refuses with 503. */
  queueLength: number;
  /** V8 old-space bound of each thread, in MiB: an upload that needs more fails alone (413), not the API. */
  heapMb: number;
  /** Seconds a refused client is told to wait (`retry-after`). @defaultValue 5 */
  retryAfterSeconds?: number;
}

/** The pool is full: a 503 whose `retry-after` the route sends along. */
export class UploadPoolFullError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(503, `every upload parser is busy and the upload queue is full; try again in ${retryAfterSeconds} s`);
    this.name = 'UploadPoolFullError';
  }
}

interface Pending {
  id: number;
  task: UploadTask;
  resolve(parsed: ParsedUpload): void;
  reject(error: Error): void;
}

interface Slot {
  worker?: Worker;
  current?: Pending;
}

const here = (relative: string) => new URL(relative, import.meta.url);
const isTypeScript = import.meta.url.endsWith('.ts');

/**
 * A few worker threads that parse uploads (CSV, text, pairs, Messenger zips, word vectors) off
 * the API's event loop, with a bounded queue in front. Each thread runs one upload at a time; a
 * thread that dies (out of memory, say) fails only its upload and is replaced on next use.
 */
export class UploadParserPool {
  private readonly slots: Slot[];
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: UploadParserPoolOptions) {
    this.slots = Array.from({ length: options.threads }, () => ({}));
  }

  /** Whether an upload submitted now would be taken (checked before its body is read). */
  hasRoom(): boolean {
    return this.slots.some((slot) => !slot.current) || this.waiting.length < this.options.queueLength;
  }

  /** Refuses with {@link UploadPoolFullError} unless there is room. */
  assertRoom(): void {
    if (!this.hasRoom()) throw new UploadPoolFullError(this.options.retryAfterSeconds ?? 5);
  }

  /** Parses an upload in a thread. @throws what the parser threw, rebuilt (DatasetParseError, HttpError…) */
  parse(task: UploadTask): Promise<ParsedUpload> {
    if (this.closed) return Promise.reject(new HttpError(503, 'the API is shutting down'));
    if (!this.hasRoom()) return Promise.reject(new UploadPoolFullError(this.options.retryAfterSeconds ?? 5));
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  /** Uploads being parsed and waiting: for tests and metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.slots.filter((slot) => slot.current).length, waiting: this.waiting.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new HttpError(503, 'the API is shutting down'));
    await Promise.all(this.slots.map((slot) => slot.worker?.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current || this.waiting.length === 0) continue;
      const pending = this.waiting.shift()!;
      slot.current = pending;
      slot.worker ??= this.startWorker(slot);
      // Held while it works (a caller awaits it), let go while idle (the process may exit).
      slot.worker.ref();
      slot.worker.postMessage({ id: pending.id, task: pending.task } satisfies ParseRequest);
    }
  }

  private startWorker(slot: Slot): Worker {
    const entry = here(isTypeScript ? './parse-thread.ts' : './parse-thread.js').href;
    const worker = new Worker(here('./thread-entry.mjs'), {
      workerData: { entry },
      resourceLimits: { maxOldGenerationSizeMb: this.options.heapMb },
    });
    worker.on('message', (reply: ParseReply) => {
      const pending = slot.current;
      if (!pending || pending.id !== reply.id) return;
      slot.current = undefined;
      worker.unref();
      if (reply.ok) pending.resolve(reply.parsed);
      else pending.reject(reviveUploadError(reply.error));
      this.dispatch();
    });
    const fail = (error: Error) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const pending = slot.current;
      slot.current = undefined;
      if (pending) {
        const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        pending.reject(outOfMemory ? new HttpError(413, `parsing this upload needs more than the parse thread's ${this.options.heapMb} MiB of memory`, 'body') : error);
      }
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`upload parse thread exited with code ${code}`)));
    return worker;
  }
}
