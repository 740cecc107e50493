import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseConfig, WorkerConfigSchema } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../../test/harness/redis.ts';
import { startWorkerApp, type WorkerApp } from '../worker-app.ts';

/** A worker app in this process (train and predict queues) on a Redis of its own, with producer-side queues and events. */
export interface InProcessWorker {
  redis: TestRedis;
  storeDir: string;
  app: WorkerApp;
  connection: Redis;
  queues: { train: Queue; predict: Queue };
  events: { train: QueueEvents; predict: QueueEvents };
  close(): Promise<void>;
}

export async function startInProcessWorker(env: Record<string, string> = {}): Promise<InProcessWorker> {
  const redis = await startTestRedis();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-worker-test-'));
  const config = parseConfig(WorkerConfigSchema, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    MODEL_STORE_DIR: storeDir,
    WORKER_QUEUES: 'train,predict',
    METRICS_PORT: '0',
    ...env,
  });
  const app = await startWorkerApp(config, pino({ level: 'silent' }));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const prefix = redis.prefix;
  const queues = { train: new Queue('train', { connection, prefix }), predict: new Queue('predict', { connection, prefix }) };
  const events = { train: new QueueEvents('train', { connection: connection.duplicate(), prefix }), predict: new QueueEvents('predict', { connection: connection.duplicate(), prefix }) };
  await Promise.all([events.train.waitUntilReady(), events.predict.waitUntilReady()]);
  return {
    redis,
    storeDir,
    app,
    connection,
    queues,
    events,
    async close() {
      await app.close(0);
      await Promise.all([events.train.close(), events.predict.close(), queues.train.close(), queues.predict.close()]);
      connection.disconnect();
      await redis.close();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
