import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createRedisConnection,
  DatasetRegistry,
  FileSystemArtifactStore,
  ModelRegistry,
  QueueName,
  queueNames,
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
  datasets: DatasetRegistry;
  store: ArtifactStore;
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
  const queues = Object.fromEntries(
    queueNames.map((name) => [name, new Queue(name, { connection: redis, prefix })]),
  ) as Record<QueueName, Queue>;
  for (const queue of Object.values(queues)) queue.on('error', quiet);
  const flows = new FlowProducer({ connection: redis, prefix });
  flows.on('error', quiet);
  const events = new Map<QueueName, { events: QueueEvents; connection: Redis }>();

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
    models: new ModelRegistry(redis, prefix),
    datasets: new DatasetRegistry(redis, prefix),
    store: new FileSystemArtifactStore(config.MODEL_STORE_DIR),
    async close() {
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
