import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './plugins/errors.ts';

/** Bounds every server-sent event stream of the API keeps (from the configuration). */
export interface EventStreamLimits {
  heartbeatMs: number;
  maxMs: number;
  maxPerClient: number;
}

/**
 * Open event streams per client (API key id, else address) on this replica. `acquire` answers 429
 * past the cap; the release it returns frees the place (once, however often it is called).
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerClient: number) {}

  acquire(client: string): () => void {
    const count = this.open.get(client) ?? 0;
    if (count >= this.maxPerClient) {
      throw new HttpError(429, `too many open event streams: at most ${this.maxPerClient} per client; close one, or poll GET /v1/jobs/:id`);
    }
    this.open.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(client) ?? 1) - 1;
      if (left > 0) this.open.set(client, left);
      else this.open.delete(client);
    };
  }

  /** Streams a client holds open now. */
  count(client: string): number {
    return this.open.get(client) ?? 0;
  }
}

/** Who a stream counts against: the API key when one was given, else the client address. */
export const streamClient = (request: FastifyRequest) => (request.apiKeyId ? `key:${request.apiKeyId}` : `ip:${request.ip}`);

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the stream (idempotent); runs the `onClose` callbacks. */
  close(): void;
  onClose(callback: () => void): void;
  readonly closed: boolean;
}

/**
 * Takes over the reply as a server-sent event stream that writes a `: heartbeat` comment every
 * `heartbeatMs`, and after `maxMs` sends `timeout` (with `timeout.data`) and ends. `release` (the
 * client's stream slot) is called once the stream is closed, by either side.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { status: number; headers?: Record<string, string>; limits: EventStreamLimits; release: () => void; timeout: Record<string, unknown> },
): EventStream {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(options.status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...options.headers });
  const callbacks: Array<() => void> = [];
  let closed = false;
  const write = (text: string) => {
    if (!closed && !out.writableEnded && !out.destroyed) out.write(text);
  };
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.limits.heartbeatMs);
  const deadline = setTimeout(() => {
    stream.send('timeout', { message: `event streams last at most ${Math.round(options.limits.maxMs / 1000)} s`, ...options.timeout });
    stream.close();
  }, options.limits.maxMs);
  const stream: EventStream = {
    send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(deadline);
      options.release();
      if (!out.writableEnded) out.end();
      for (const callback of callbacks.splice(0)) {
        try {
          callback();
        } catch (error) {
          request.log.warn({ err: error }, 'event stream cleanup failed');
        }
      }
    },
    onClose: (callback) => (closed ? callback() : void callbacks.push(callback)),
    get closed() {
      return closed;
    },
  };
  request.raw.on('close', () => stream.close());
  out.on('close', () => stream.close());
  return stream;
}
