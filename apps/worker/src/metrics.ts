import { Worker as Thread } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, Worker } from 'bullmq';
import * as tf from '@tensorflow/tfjs-core';
import { CANCELLED_REASON } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import type { BackendHealth } from './wasm-failure.ts';

/** Why a job failed, in few enough values to be a label. */
export function failureReason(job: Job | undefined, error: Error): 'cancelled' | 'invalid_input' | 'memory' | 'poison' | 'backend_failed' | 'error' {
  if (job?.failedReason === CANCELLED_REASON || error.message === CANCELLED_REASON) return 'cancelled';
  if (error.name !== 'UnrecoverableError') return 'error';
  if (/^(exceeded the memory budget|this training needs about|this training's largest tensor)/.test(error.message)) return 'memory';
  if (error.message.startsWith('poison job:')) return 'poison';
  if (error.message.startsWith('the WebAssembly heap failed')) return 'backend_failed';
  return 'invalid_input';
}

/** A counter that mirrors a running total kept elsewhere (the model cache's own counters). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
}

/**
 * The worker's Prometheus metrics: job durations and failures by queue and kind, the model
 * cache, tfjs memory and the active backend. Served with /healthz on METRICS_PORT.
 */
export function createWorkerMetrics(context: ProcessorContext, workers: Worker[]) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mlq_worker_' });
  const durations = new Histogram({
    name: 'mlq_job_duration_seconds',
    help: "Time from a job's start to its end in this worker",
    labelNames: ['queue', 'name', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'mlq_job_failures_total',
    help: 'Failed job attempts by reason: cancelled, invalid_input, memory (too large, or stopped by the memory guard), poison, backend_failed (not retried) or error (retried while attempts remain)',
    labelNames: ['queue', 'name', 'reason'],
    registers: [registry],
  });
  const seconds = (job: Job) => ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000;
  for (const worker of workers) {
    worker.on('completed', (job) => durations.observe({ queue: worker.name, name: job.name, outcome: 'completed' }, seconds(job)));
    worker.on('failed', (job, error) => {
      failures.inc({ queue: worker.name, name: job?.name ?? 'unknown', reason: failureReason(job, error) });
      if (job) durations.observe({ queue: worker.name, name: job.name, outcome: 'failed' }, seconds(job));
    });
  }
  mirroredCounter(registry, 'mlq_model_cache_hits_total', 'Predictions served by a model already in memory', () => context.cache.stats().hits);
  mirroredCounter(registry, 'mlq_model_cache_misses_total', 'Predictions that loaded their model from the store', () => context.cache.stats().misses);
  mirroredCounter(registry, 'mlq_model_cache_evictions_total', 'Models evicted (and disposed) to stay within MODEL_CACHE_BYTES', () => context.cache.stats().evictions);
  new Gauge({
    name: 'mlq_model_cache_bytes',
    help: 'Bytes of weights held by the model cache',
    registers: [registry],
    collect() {
      this.set(context.cache.stats().bytes);
    },
  });
  new Gauge({
    name: 'mlq_model_cache_models',
    help: 'Models held by the model cache',
    registers: [registry],
    collect() {
      this.set(context.cache.stats().entries);
    },
  });
  new Gauge({
    name: 'mlq_tfjs_tensors',
    help: 'Live tfjs tensors (tf.memory().numTensors)',
    registers: [registry],
    collect() {
      this.set(tf.memory().numTensors);
    },
  });
  new Gauge({
    name: 'mlq_tfjs_bytes',
    help: 'Bytes held by live tfjs tensors (tf.memory().numBytes)',
    registers: [registry],
    collect() {
      this.set(tf.memory().numBytes);
    },
  });
  new Gauge({ name: 'mlq_tfjs_backend_info', help: 'The active tfjs backend (value 1)', labelNames: ['backend', 'package', 'gpu'], registers: [registry] }).set(
    { backend: context.backend.name, package: context.backend.package, gpu: String(context.backend.gpu) },
    1,
  );
  return registry;
}

export interface MetricsServer {
  port: number;
  /** The address it listens on (METRICS_HOST). */
  address: string;
  close(): Promise<void>;
}

/** How often the main thread tells the probe thread its event loop is turning. */
const HEARTBEAT_MS = 250;

/**
 * Serves `/metrics` and `/healthz` on `host` (METRICS_HOST, loopback unless set) from a thread of
 * its own, so a probe is answered at once even while a training batch holds the event loop.
 * `/healthz`: 200 while the worker can run models; 503 with the reason once its tfjs backend
 * failed (the process is then exiting to be restarted), or once the event loop has not turned for
 * `stallLimitMs` (LOCK_DURATION_MS: by then the worker's jobs are lost to others anyway, and a
 * liveness probe should restart it). Resolves once listening.
 */
export async function serveMetrics(registry: Registry, port: number, options: { host?: string; health?: BackendHealth; stallLimitMs?: number } = {}): Promise<MetricsServer> {
  const { host = '127.0.0.1', health, stallLimitMs = 60_000 } = options;
  const heartbeat = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  const beats = new Float64Array(heartbeat);
  beats[0] = Date.now();
  const thread = new Thread(new URL('./probes/probe-thread.mjs', import.meta.url), { workerData: { host, port, stallLimitMs, heartbeat } });
  thread.unref();
  const beat = setInterval(() => (beats[0] = Date.now()), HEARTBEAT_MS);
  beat.unref();
  const unsubscribe = health?.subscribe((reason) => thread.postMessage({ type: 'failure', reason }));
  const listening = await new Promise<AddressInfo>((resolve, reject) => {
    thread.once('error', reject);
    thread.on('message', (message: { type: string; address?: AddressInfo; message?: string; id?: number }) => {
      if (message.type === 'listening') resolve(message.address!);
      else if (message.type === 'error') reject(new Error(`metrics server on ${host}:${port}: ${message.message}`));
      else if (message.type === 'metrics') {
        registry.metrics().then(
          (text) => thread.postMessage({ type: 'metrics', id: message.id, text, contentType: registry.contentType }),
          (error: Error) => thread.postMessage({ type: 'metrics', id: message.id, error: error.message }),
        );
      }
    });
  }).catch(async (error: unknown) => {
    clearInterval(beat);
    unsubscribe?.();
    await thread.terminate();
    throw error;
  });
  return {
    port: listening.port,
    address: listening.address,
    async close() {
      clearInterval(beat);
      unsubscribe?.();
      await thread.terminate();
    },
  };
}
