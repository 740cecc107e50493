import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import type { Logger } from 'pino';
import {
  initBackend,
  setPriceInference,
  setRecurrentImplementation,
  useFastRecurrent,
  type BackendInfo,
  type BackendName,
  type PriceInference,
  type RecurrentImplementation,
} from '@mlq/models';
import {
  cancelChannel,
  createRedisConnection,
  DatasetCatalog,
  DatasetRegistry,
  createArtifactStore,
  ModelReferences,
  ModelRegistry,
  QueueName,
  RedisOutageReporter,
  type WorkerConfig,
} from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import { ModelCache, type TrainedModel } from './model-cache.ts';
import { AbortReason } from './job-guards.ts';
import { createTrainProcessor } from './processors/train.ts';
import { createForecastProcessor } from './processors/forecast.ts';
import { createPredictProcessor } from './processors/predict.ts';
import { createBatchProcessor } from './processors/batch.ts';
import { createBacktestFoldProcessor } from './processors/backtest-fold.ts';
import { createBacktestProcessor } from './processors/backtest.ts';
import { createRetrainProcessor } from './processors/retrain.ts';
import { createLiveLoopContext } from './live/live-loop-context.ts';
import { recordPredictionForecast } from './live/forecast-recording.ts';
import { createWorkerMetrics, serveMetrics } from './metrics.ts';
import { resolveTrainingThreads } from './training-threads.ts';
import { BackendHealth } from './wasm-failure.ts';
import { CrashAccounting } from './crash-accounting.ts';
import { MemoryGuard } from './memory-guard.ts';
import { publishBudgetWhileRunning, readWasmHeapBytes, resolveWorkerMemory, type WorkerMemory } from './memory-budget.ts';
import { withJobSafety } from './job-safety.ts';

/** A wasm heap that grew past this while a training ran is stopped before it traps at 4 GiB. */
const WASM_HEAP_GUARD_BYTES = 3.5 * 1024 ** 3;
/** BullMQ's own limit on stalls, out of the way: crash accounting decides (see crash-accounting.ts). */
const MAX_STALLED_COUNT = 1000;

export interface WorkerAppOptions {
  /**
   * Called once when a job broke the tfjs backend (a failed wasm heap): the worker already takes
   * no new jobs and has released the others; the process should exit non-zero to be restarted.
   */
  onFatal?(reason: string): void;
}

export interface WorkerApp {
  context: ProcessorContext;
  workers: Worker[];
  /** Whether the tfjs backend can still run models (/healthz answers 503 once it cannot). */
  health: BackendHealth;
  /** This process' id in crash accounting and budgets: host, pid, a random part. */
  workerId: string;
  memory: WorkerMemory;
  /** Port of /metrics and /healthz, or null when METRICS_PORT is 0. */
  metricsPort: number | null;
  /** Stops taking jobs, lets active ones finish for `graceMs`, then releases the rest to other workers. */
  close(graceMs?: number): Promise<void>;
}

function routeByName(processors: Record<string, Processor>): Processor {
  // Declares three parameters: BullMQ passes the AbortSignal only to processors that take one.
  return (job: Job, token?: string, signal?: AbortSignal) => {
    const processor = processors[job.name];
    if (!processor) throw new UnrecoverableError(`no processor for job name "${job.name}" on this queue`);
    return processor(job, token, signal);
  };
}

/**
 * A GPU worker never falls back silently: with GPU=required it refuses to start (the pod crash-
 * loops where everyone sees it), with GPU=preferred it starts on the CPU and says so at warn level.
 */
function assertGpu(config: WorkerConfig, backend: BackendInfo, log: Logger): void {
  if (config.GPU === 'off' || backend.gpu) return;
  const found = `backend ${backend.name} from ${backend.package}`;
  const advice = 'needs @tensorflow/tfjs-node-gpu with its install script run, the NVIDIA driver, CUDA 11.2 and cuDNN 8.1 libraries, and a GPU (nvidia.com/gpu) assigned to the container';
  if (config.GPU === 'required') {
    throw new Error(`GPU=required but no usable GPU: ${found}. A GPU worker ${advice}; or set GPU=preferred to run on the CPU`);
  }
  log.warn({ backend }, `NO GPU: running on the CPU (${found}); a GPU worker ${advice}`);
}

export async function startWorkerApp(config: WorkerConfig, log: Logger, options: WorkerAppOptions = {}): Promise<WorkerApp> {
  const backend = await initBackend(config.TF_BACKEND as BackendName, (message) => log.info({ backend: config.TF_BACKEND }, message));
  assertGpu(config, backend, log);
  setRecurrentImplementation(config.RECURRENT_LAYERS as RecurrentImplementation);
  setPriceInference(config.PRICE_INFERENCE as PriceInference);
  const outages = new RedisOutageReporter(log);
  const redis = createRedisConnection(config.REDIS_URL, 'worker', {}, outages);
  const store = createArtifactStore({ dir: config.MODEL_STORE_DIR, redis, prefix: config.QUEUE_PREFIX, quotaBytes: config.STORE_QUOTA_BYTES });
  await store.indexExisting();
  const models = new ModelRegistry(redis, config.QUEUE_PREFIX);
  const context: ProcessorContext = {
    config,
    redis,
    store,
    models,
    references: new ModelReferences(models),
    datasets: new DatasetCatalog(new DatasetRegistry(redis, config.QUEUE_PREFIX), store),
    cache: new ModelCache<TrainedModel>(config.MODEL_CACHE_BYTES),
    backend,
    trainingThreads: resolveTrainingThreads(config.TRAINING_THREADS, backend.name, config.TRAIN_CONCURRENCY),
    log,
  };

  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const health = new BackendHealth();
  const memory = resolveWorkerMemory(config, backend.name, context.trainingThreads, process.memoryUsage.rss());
  const safety = {
    ctx: context,
    health,
    crashes: new CrashAccounting(redis, config.QUEUE_PREFIX, workerId, config.POISON_JOB_CRASHES),
    guard: new MemoryGuard({ rssLimitBytes: memory.rssLimitBytes, heapLimitBytes: WASM_HEAP_GUARD_BYTES, readHeapBytes: readWasmHeapBytes }),
    limits: memory.limits,
    memoryCheck: config.TRAINING_MEMORY_CHECK,
    onBackendFailure(reason: string) {
      log.fatal({ reason, backend: backend.name }, 'the tfjs backend failed: taking no more jobs, releasing the others, exiting to be restarted');
      for (const worker of workers) worker.cancelAllJobs(AbortReason.shutdown);
      options.onFatal?.(reason);
    },
  };

  const live = createLiveLoopContext(config, redis);
  const processors: Record<QueueName, { processor: Processor; concurrency: number; prepare?: () => Promise<void> }> = {
    train: {
      processor: routeByName({
        train: createTrainProcessor(context),
        forecast: createForecastProcessor(context),
        'backtest-fold': createBacktestFoldProcessor(context, live),
      }),
      concurrency: config.TRAIN_CONCURRENCY,
    },
    predict: {
      processor: routeByName({ predict: createPredictProcessor(context) }),
      concurrency: config.PREDICT_CONCURRENCY,
      // Model references resolved earlier hold while the registry has not changed: read its generation as each prediction starts.
      prepare: () => context.references.sync(),
    },
    batch: {
      processor: routeByName({ batch: createBatchProcessor(context), backtest: createBacktestProcessor(context), retrain: createRetrainProcessor(context, live) }),
      concurrency: config.BATCH_CONCURRENCY,
    },
  };
  const queues = config.WORKER_QUEUES.split(',') as QueueName[];
  const workers = queues.map((queue) => {
    const { processor, concurrency, prepare } = processors[queue];
    const worker = new Worker(queue, withJobSafety(queue, processor, safety, prepare), {
      connection: createRedisConnection(config.REDIS_URL, 'worker', {}, outages),
      prefix: config.QUEUE_PREFIX,
      concurrency,
      lockDuration: config.LOCK_DURATION_MS,
      stalledInterval: config.STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    worker.on('active', (job) => log.info({ jobId: job.id, queue, name: job.name, attempt: job.attemptsMade + 1 }, 'job started'));
    worker.on('completed', (job, result: unknown) => {
      log.info({ jobId: job.id, queue, name: job.name, ms: Date.now() - (job.processedOn ?? Date.now()) }, 'job completed');
      // A price forecast from the end of a model's series is kept for drift tracking, after the job.
      if (queue === QueueName.predict) {
        recordPredictionForecast(context, live, job.data, result).catch((error: unknown) => log.warn({ jobId: job.id, err: error }, 'forecast not recorded for drift tracking'));
      }
    });
    worker.on('failed', (job, error) => log.warn({ jobId: job?.id, queue, name: job?.name, reason: error.message }, 'job failed'));
    worker.on('stalled', (jobId) => log.warn({ jobId, queue }, 'job stalled; put back in the queue'));
    worker.on('error', (error) => {
      if (!outages.error(error)) log.error({ err: error, queue }, 'worker error');
    });
    return worker;
  });

  // Cancellation requests reach every worker; only the one running the job acts on it.
  const subscriber = createRedisConnection(config.REDIS_URL, 'worker', {}, outages);
  await subscriber.subscribe(cancelChannel(config.QUEUE_PREFIX));
  subscriber.on('message', (_channel: string, jobId: string) => {
    for (const worker of workers) {
      if (worker.cancelJob(jobId, AbortReason.cancelled)) log.info({ jobId }, 'cancelling job');
    }
  });

  const metrics =
    config.METRICS_PORT > 0
      ? await serveMetrics(createWorkerMetrics(context, workers), config.METRICS_PORT, { host: config.METRICS_HOST, health, stallLimitMs: config.LOCK_DURATION_MS })
      : undefined;
  // Only workers that train publish a training budget (a prediction worker's memory is no promise).
  const withdrawBudget = queues.includes(QueueName.train) ? publishBudgetWhileRunning(redis, config.QUEUE_PREFIX, { workerId, ...memory.limits }, log) : async () => {};

  log.info(
    {
      queues,
      backend,
      fastRecurrent: useFastRecurrent(),
      trainingThreads: context.trainingThreads,
      pid: process.pid,
      workerId,
      memoryBytes: memory.memoryBytes,
      trainingBudgetBytes: memory.limits.budgetBytes,
      memoryGuardBytes: memory.rssLimitBytes,
      metricsPort: metrics?.port ?? null,
    },
    'worker ready',
  );

  return {
    context,
    workers,
    health,
    workerId,
    memory,
    metricsPort: metrics?.port ?? null,
    async close(graceMs = config.SHUTDOWN_GRACE_MS) {
      await withdrawBudget();
      const closing = Promise.all(workers.map((worker) => worker.close()));
      const release = setTimeout(() => {
        log.warn({ graceMs }, 'grace period over; releasing active jobs to other workers');
        for (const worker of workers) worker.cancelAllJobs(AbortReason.shutdown);
      }, graceMs);
      await closing;
      clearTimeout(release);
      await metrics?.close();
      await live.close();
      await subscriber.quit().catch(() => undefined);
      await redis.quit().catch(() => undefined);
      context.cache.clear();
    },
  };
}
