import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { StreamSlots, type EventStreamLimits } from './event-stream.ts';
import {
  createRedisConnection,
  DatasetRegistry,
  createArtifactStore,
  ModelReferences,
  ModelRegistry,
  QueueName,
  queueNames,
  SharedTextStreamReader,
  type RedisOutageReporter,
  type ApiConfig,
  type ArtifactStore,
} from '@mlq/jobs';

/** Everything the routes talk to: Redis-backed queues and registries, and the artifact store. */
export interface ApiServices {
  config: ApiConfig;
  redis: Redis;
  queues: Record<QueueName, Queue>;
  flows: FlowProducer;
  /** A queue's event stream, created on first use (`?wait=`, SSE): each holds a blocking connection. */
  queueEvents(queue: QueueName): QueueEvents;
  models: ModelRegistry;
  /** Model references resolved by this replica, checked against the registry's generation by each enqueue (POST /v1/predict). */
  modelReferences: ModelReferences;
  datasets: DatasetRegistry;
  store: ArtifactStore;
  /** Server-sent event streams: their bounds, the open ones per client, and the one reader of streamed text. */
  streams: { limits: EventStreamLimits; slots: StreamSlots; text: SharedTextStreamReader };
  close(): Promise<void>;
}

/** Resolves once the connection is ready, or after `timeoutMs` regardless (the API starts anyway and answers 503). */
async function waitForConnection(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.on('ready', done);
  });
}

/**
 * Connects to Redis (waiting up to `startupWaitMs` for it, so the first requests after start
 * do not fail while the connection is still being made), then opens the queues.
 */
export async function createApiServices(config: ApiConfig, startupWaitMs = 5_000, outages?: RedisOutageReporter): Promise<ApiServices> {
  // Errors surface per request as 503; the connection keeps retrying in the background, and an
  // outage is logged once when it starts and once when it ends (`outages`), never per retry.
  const quiet = (error: unknown) => void outages?.error(error);
  const redis = createRedisConnection(config.REDIS_URL, 'producer', {}, outages);
  redis.on('error', () => {});
  await waitForConnection(redis, startupWaitMs);
  const prefix = config.QUEUE_PREFIX;
  const queues = Object.fromEntries(queueNames.map((name) => [name, new Queue(name, { connection: redis, prefix })])) as Record<QueueName, Queue>;
  for (const queue of Object.values(queues)) {
    queue.on('error', quiet);
    // Every `?wait` and streamed prediction in flight waits on its queue's 'closing' event (BullMQ's
    // waitUntilFinished): one listener each, bounded by the rate limit and the stream caps.
    queue.setMaxListeners(0);
  }
  const flows = new FlowProducer({ connection: redis, prefix });
  flows.on('error', quiet);
  const store = createArtifactStore({ dir: config.MODEL_STORE_DIR, redis, prefix, quotaBytes: config.STORE_QUOTA_BYTES });
  store.indexExisting().catch(() => {}); // a worker indexes it when Redis is down now
  const events = new Map<QueueName, { events: QueueEvents; connection: Redis }>();
  // Streamed text of every open stream is read over this one blocking connection.
  const textReader = createRedisConnection(config.REDIS_URL, 'worker', { connectionName: 'mlq-text-reader', lazyConnect: true });
  textReader.on('error', () => {});
  const textStreams = new SharedTextStreamReader(textReader, redis, prefix);
  const models = new ModelRegistry(redis, prefix);
  const limits: EventStreamLimits = {
    heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
    maxMs: config.SSE_MAX_SECONDS * 1000,
    maxPerClient: config.SSE_MAX_PER_CLIENT,
  };

  return {
    config,
    redis,
    queues,
    flows,
    queueEvents(queue) {
      let entry = events.get(queue);
      if (!entry) {
        const connection = createRedisConnection(config.REDIS_URL, 'worker', {}, outages);
        connection.on('error', () => {});
        // Read from (just before) the moment of creation, not from whenever the first XREAD goes out
        // ('$'): an event in between (a fast job completing) would otherwise be missed by `?wait`.
        // Five seconds early covers clock skew to Redis; listeners filter by job id, so replayed
        // older events are harmless.
        entry = { connection, events: new QueueEvents(queue, { connection, prefix, lastEventId: `${Date.now() - 5_000}-0` }) };
        entry.events.on('error', quiet);
        // One listener per open SSE stream.
        entry.events.setMaxListeners(0);
        events.set(queue, entry);
      }
      return entry.events;
    },
    models,
    modelReferences: new ModelReferences(models),
    datasets: new DatasetRegistry(redis, prefix),
    store,
    streams: { limits, slots: new StreamSlots(limits.maxPerClient), text: textStreams },
    async close() {
      textStreams.close();
      for (const entry of events.values()) {
        await entry.events.close();
        entry.connection.disconnect();
      }
      await flows.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      redis.disconnect();
    },
  };
}
