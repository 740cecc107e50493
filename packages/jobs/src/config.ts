import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

import { ConfigError } from './config-error.ts';
import { parseApiKeys } from './api-keys.ts';

export { ConfigError } from './config-error.ts';
export * from './api-keys.ts';

const Integer = (options: { default: number; minimum: number; maximum?: number; description: string }) => Type.Integer(options);

/** Variables shared by the API and the worker. */
export const SharedConfigSchema = Type.Object({
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', description: 'Redis connection URL (redis:// or rediss://)' }),
  QUEUE_PREFIX: Type.String({
    default: 'mlq',
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Prefix of every Redis key (BullMQ queues and the registries); lets several deployments share one Redis',
  }),
  MODEL_STORE_DIR: Type.String({
    default: './.data/store',
    description: 'Directory of the artifact store (models, uploaded datasets); a shared volume when workers run on several machines',
  }),
  STORE_QUOTA_BYTES: Integer({
    default: 0,
    minimum: 0,
    description:
      'Largest total size of the artifact store (uploaded datasets, models, checkpoints), in bytes, counted in Redis; an upload past it is refused with 507 and a training whose model would not fit fails. 0: no limit',
  }),
  TRAINING_MEMORY_BUDGET_BYTES: Integer({
    default: 0,
    minimum: 0,
    description:
      'Bytes one training may use at its peak (estimated from its params and dataset before it is enqueued, checked again by the worker, watched while it runs). 0: auto. Worker: (WORKER_MEMORY_BYTES - 384 MiB - MODEL_CACHE_BYTES) / TRAIN_CONCURRENCY, published to Redis; API: the largest budget a live worker published, else the last one seen, else this value, else sized from its own memory the same way',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  DRIFT_WINDOW: Integer({
    default: 30,
    minimum: 1,
    maximum: 10_000,
    description: "Forecast points (the newest with known actuals) a model name's realised error is measured over; a name is flagged for drift only once it has this many",
  }),
  DRIFT_MARGIN: Type.Number({
    default: 0.1,
    minimum: 0,
    maximum: 100,
    description: "A model name is flagged for drift when its realised MAE over DRIFT_WINDOW exceeds the naive forecast's on the same points by more than this fraction (0.1: 10%)",
  }),
});

export const ApiConfigSchema = Type.Composite([
  SharedConfigSchema,
  Type.Object({
    HOST: Type.String({
      default: '127.0.0.1',
      description: 'API listen address: loopback only by default; 0.0.0.0 (the container images) to accept other machines, which then need API_KEYS',
    }),
    PORT: Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'API listen port' }),
    MAX_UPLOAD_BYTES: Integer({
      default: 20 * 1024 * 1024,
      minimum: 1024,
      description: 'Largest accepted dataset upload (prices, text, pairs, word vectors), in bytes; streamed to a temporary file under MODEL_STORE_DIR, never held whole in memory',
    }),
    MAX_MESSENGER_UPLOAD_BYTES: Integer({
      default: 8 * 1024 * 1024 * 1024,
      minimum: 1024,
      description: 'Largest accepted Messenger export zip (kind=messenger), in bytes, photos and videos included: only its message JSON files are read',
    }),
    MAX_MESSENGER_JSON_BYTES: Integer({
      default: 32 * 1024 * 1024,
      minimum: 1024,
      description:
        "Largest total of the message JSON files read from a Messenger export, in bytes once inflated (the zip's declared sizes and the bytes really inflated are both checked; a zip bomb stops here). Parsing takes about 5 times this in memory (32 MiB of JSON: 120,000 pairs, +150 MiB RSS)",
    }),
    UPLOAD_PARSE_THREADS: Integer({
      default: 1,
      minimum: 1,
      maximum: 4,
      description:
        "Worker threads of the API that parse uploads, off its event loop. Each one's heap is bounded by 10 × MAX_MESSENGER_JSON_BYTES or 6 × MAX_UPLOAD_BYTES (at least 256 MiB); an upload that needs more is a 413",
    }),
    UPLOAD_PARSE_QUEUE: Integer({
      default: 8,
      minimum: 0,
      maximum: 1000,
      description: 'Uploads waiting for a parse thread; beyond this an upload is refused with 503 and retry-after, before its body is read',
    }),
    MAX_WAIT_SECONDS: Integer({
      default: 60,
      minimum: 1,
      maximum: 600,
      description: 'Upper bound of the `wait` query parameter of POST /v1/predict',
    }),
    REDIS_TIMEOUT_MS: Integer({
      default: 1500,
      minimum: 100,
      description: 'A Redis call from the API that takes longer fails with 503',
    }),
    SSE_HEARTBEAT_SECONDS: Integer({
      default: 15,
      minimum: 1,
      maximum: 3600,
      description: 'Server-sent event streams (job events, streamed text) write a comment line this often, so proxies and clients see a live connection',
    }),
    SSE_MAX_SECONDS: Integer({
      default: 3600,
      minimum: 1,
      description: 'Longest an event stream stays open; then it ends with a `timeout` event telling the client to reconnect (job events) or poll the job (streamed text)',
    }),
    SSE_MAX_PER_CLIENT: Integer({
      default: 100,
      minimum: 1,
      description: 'Event streams one client (API key, or client address without keys) may hold open on one API replica; past it, 429',
    }),
    API_KEYS: Type.String({
      default: '',
      secret: true,
      description:
        'Comma-separated API keys, each `scope:key` with scope read, submit or admin (each includes the ones before it); a bare `key` is submit. Keys have at least 16 characters. When set, every route but the probes, metrics and /docs needs `Authorization: Bearer <key>` (the dashboard: a key as its Basic-auth password); when empty, only loopback clients are served',
    }),
    ALLOW_UNAUTHENTICATED: Type.Boolean({
      default: false,
      description: 'Dangerous: with no API_KEYS, serve clients on other machines too (read and submit, no admin actions) instead of refusing them with 403',
    }),
    AUTH_FAILURES_PER_MINUTE: Integer({
      default: 20,
      minimum: 0,
      description:
        'Requests with a wrong API key a client address may send per minute, counted in Redis across API replicas; past it every keyed request of that address gets 429 until a minute after its first failure. 0 disables (not advised)',
    }),
    BOARD_READ_ONLY: Type.Boolean({
      default: false,
      description: 'Serve the dashboard read-only for every key, admin included: no retry, remove, pause or clean (without it, only admin keys may act)',
    }),
    MAX_SCHEDULES: Integer({
      default: 100,
      minimum: 1,
      maximum: 10_000,
      description: 'Retraining schedules that may exist at once (POST /v1/schedules answers 409 past it)',
    }),
    SCHEDULE_MIN_INTERVAL_MS: Integer({
      default: 60_000,
      minimum: 1_000,
      description: 'Shortest `every` of a retraining schedule, in milliseconds (cron patterns have 5 fields, so at most one run a minute)',
    }),
    RATE_LIMIT_PER_MINUTE: Integer({
      default: 600,
      minimum: 0,
      description:
        'Requests to every route but the probes, metrics and /docs, per minute per API key (per client address without a key), shared by all API replicas through Redis; 0 disables',
    }),
  }),
]);

export const WorkerConfigSchema = Type.Composite([
  SharedConfigSchema,
  Type.Object({
    WORKER_QUEUES: Type.String({
      default: 'train,predict,batch',
      pattern: '^(train|predict|batch)(,(train|predict|batch))*$',
      description: 'Comma-separated queues this worker consumes',
    }),
    TRAIN_CONCURRENCY: Integer({ default: 1, minimum: 1, maximum: 64, description: 'Training jobs run at once per worker process' }),
    PREDICT_CONCURRENCY: Integer({ default: 4, minimum: 1, maximum: 256, description: 'Prediction jobs run at once per worker process' }),
    BATCH_CONCURRENCY: Integer({ default: 4, minimum: 1, maximum: 256, description: 'Batch parents gathered at once (cheap)' }),
    TF_BACKEND: Type.Union(
      ['auto', 'tensorflow', 'wasm', 'cpu'].map((b) => Type.Literal(b)),
      { default: 'auto', description: 'tfjs backend: auto = tfjs-node-gpu, tfjs-node, wasm, cpu, first available' },
    ),
    RECURRENT_LAYERS: Type.Union(
      ['auto', 'fast', 'stock'].map((v) => Type.Literal(v)),
      {
        default: 'auto',
        description:
          "LSTM/GRU layers the models use: fast (one input matmul, fused steps, hand-written backward pass), stock (tfjs-layers' own), or auto: fast on the wasm and cpu backends, stock on tensorflow",
      },
    ),
    PRICE_INFERENCE: Type.Union(
      ['auto', 'kernel', 'tfjs'].map((v) => Type.Literal(v)),
      {
        default: 'auto',
        description:
          'How price LSTMs forecast: kernel (a WebAssembly SIMD LSTM step, one call per layer and step for the whole batch), tfjs (the tfjs network), or auto: kernel on the wasm and cpu backends, tfjs on tensorflow',
      },
    ),
    TRAINING_THREADS: Type.String({
      default: 'auto',
      pattern: '^(auto|[1-9]|[1-5][0-9]|6[0-4])$',
      description:
        'Threads a training (price LSTM, text generator, chatbot) splits each batch across on the wasm and cpu backends (1-64), each with its own backend and a copy of the network, gradients averaged; auto: the CPUs this process may use (cgroup quota included) divided by TRAIN_CONCURRENCY, at most 4; tensorflow always uses 1',
    }),
    GPU: Type.Union(
      ['off', 'preferred', 'required'].map((v) => Type.Literal(v)),
      {
        default: 'off',
        description: 'For GPU workers. required: refuse to start without a usable GPU; preferred: start on the CPU with a loud warning; off: no check',
      },
    ),
    MODEL_CACHE_BYTES: Integer({
      default: 512 * 1024 * 1024,
      minimum: 0,
      description: 'Byte bound of the in-memory LRU of loaded models (weights); 0 disables caching',
    }),
    LOCK_DURATION_MS: Integer({
      default: 60_000,
      minimum: 500,
      description: 'BullMQ job lock, renewed every half of it while a job runs; one training batch must take less than that half. A worker that dies loses its jobs to others after this',
    }),
    STALLED_INTERVAL_MS: Integer({
      default: 30_000,
      minimum: 500,
      description: 'How often this worker looks for stalled jobs (of dead workers) to put back in the queue',
    }),
    WORKER_MEMORY_BYTES: Integer({
      default: 0,
      minimum: 0,
      description:
        "Memory this worker process may use, in bytes. 0: auto, the cgroup memory limit (a container's), else the machine's total memory. npm start gives each of its WORKERS a share",
    }),
    TRAINING_MEMORY_CHECK: Type.Union([Type.Literal('enforce'), Type.Literal('warn')], {
      default: 'enforce',
      description:
        'enforce: a training whose memory estimate does not fit this worker (budget, wasm heap) fails for good before it starts; warn: log the estimate and train anyway (the memory guard and the wasm heap check still protect the worker)',
    }),
    POISON_JOB_CRASHES: Integer({
      default: 5,
      minimum: 1,
      maximum: 100,
      description:
        'A job whose run ended with its worker process dead (kill -9, OOM kill, node lost) is run again, unless this many distinct worker processes died running it: then it fails for good as a poison job',
    }),
    METRICS_PORT: Integer({
      default: 9464,
      minimum: 0,
      maximum: 65535,
      description: "Port of the worker's Prometheus /metrics and /healthz endpoint; 0 turns it off",
    }),
    METRICS_HOST: Type.String({
      default: '127.0.0.1',
      description: "Listen address of the worker's metrics endpoint: loopback only by default; 0.0.0.0 (the container images) for Prometheus and probes from other machines",
    }),
    SHUTDOWN_GRACE_MS: Integer({
      default: 25_000,
      minimum: 0,
      description: 'On SIGTERM, active jobs get this long to finish; then they are released to another worker',
    }),
  }),
]);

export type SharedConfig = Static<typeof SharedConfigSchema>;
export type ApiConfig = Static<typeof ApiConfigSchema>;
export type WorkerConfig = Static<typeof WorkerConfigSchema>;

/**
 * Parses environment variables once, against a schema: fills defaults, converts numbers,
 * and fails naming the first bad variable.
 */
export function parseConfig<S extends TSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): Static<S> {
  const properties = (schema as unknown as { properties: Record<string, TSchema> }).properties;
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const candidate = Value.Convert(schema, Value.Default(schema, raw));
  const firstError = Value.Errors(schema, candidate).First();
  if (firstError) {
    const variable = firstError.path.replace(/^\//, '') || '(config)';
    const secret = (properties[variable] as { secret?: boolean } | undefined)?.secret === true;
    throw new ConfigError(variable, `${firstError.message} (got ${secret ? 'a value not shown: it is secret' : JSON.stringify(raw[variable])})`);
  }
  // Checks a pattern cannot express, or could only by echoing a secret in its error.
  if ('API_KEYS' in properties) parseApiKeys(String((candidate as Record<string, unknown>).API_KEYS));
  return candidate as Static<S>;
}

/** Every configuration variable with its default and description, for docs and checks. */
export function describeConfig(schema: TSchema): Array<{ name: string; default: unknown; description: string }> {
  const properties = (schema as unknown as { properties: Record<string, TSchema> }).properties;
  return Object.entries(properties).map(([name, s]) => ({
    name,
    default: (s as { default?: unknown }).default,
    description: String((s as { description?: string }).description ?? ''),
  }));
}
