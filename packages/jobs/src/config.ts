import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Raised at start when an environment variable is missing or malformed; names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const Integer = (options: { default: number; minimum: number; maximum?: number; description: string }) =>
  Type.Integer(options);

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
});

export const ApiConfigSchema = Type.Composite([
  SharedConfigSchema,
  Type.Object({
    HOST: Type.String({ default: '0.0.0.0', description: 'API listen address' }),
    PORT: Integer({ default: 3000, minimum: 0, maximum: 65535, description: 'API listen port' }),
    MAX_UPLOAD_BYTES: Integer({
      default: 20 * 1024 * 1024,
      minimum: 1024,
      description: 'Largest accepted dataset upload, in bytes',
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
    API_KEYS: Type.String({
      default: '',
      pattern: '^[^\\s]*$',
      description:
        'Comma-separated API keys. When set, /v1/* needs `Authorization: Bearer <key>` and the dashboard a key as its Basic-auth password; probes stay open',
    }),
    BOARD_READ_ONLY: Type.Boolean({ default: false, description: 'Serve the dashboard read-only: no retry, remove, pause or clean' }),
    RATE_LIMIT_PER_MINUTE: Integer({
      default: 600,
      minimum: 0,
      description: 'Requests to /v1/* per minute per API key (per client address without keys), shared by all API replicas through Redis; 0 disables',
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
    RECURRENT_LAYERS: Type.Union(['auto', 'fast', 'stock'].map((v) => Type.Literal(v)), {
      default: 'auto',
      description:
        'LSTM/GRU layers the models use: fast (one input matmul, fused steps, hand-written backward pass), stock (tfjs-layers\' own), or auto: fast on the wasm and cpu backends, stock on tensorflow',
    }),
    TRAINING_THREADS: Type.String({
      default: 'auto',
      pattern: '^(auto|[1-9]|[1-5][0-9]|6[0-4])$',
      description:
        'Threads a training (price LSTM, text generator, chatbot) splits each batch across on the wasm and cpu backends (1-64), each with its own backend and a copy of the network, gradients averaged; auto: the CPUs this process may use (cgroup quota included) divided by TRAIN_CONCURRENCY, at most 4; tensorflow always uses 1',
    }),
    GPU: Type.Union(['off', 'preferred', 'required'].map((v) => Type.Literal(v)), {
      default: 'off',
      description:
        'For GPU workers. required: refuse to start without a usable GPU; preferred: start on the CPU with a loud warning; off: no check',
    }),
    MODEL_CACHE_BYTES: Integer({
      default: 512 * 1024 * 1024,
      minimum: 0,
      description: 'Byte bound of the in-memory LRU of loaded models (weights); 0 disables caching',
    }),
    LOCK_DURATION_MS: Integer({
      default: 60_000,
      minimum: 500,
      description:
        'BullMQ job lock, renewed every half of it while a job runs; one training batch must take less than that half. A worker that dies loses its jobs to others after this',
    }),
    STALLED_INTERVAL_MS: Integer({
      default: 30_000,
      minimum: 500,
      description: 'How often this worker looks for stalled jobs (of dead workers) to put back in the queue',
    }),
    WORKER_MEMORY_BYTES: Integer({
      default: 0,
      minimum: 0,
      description: 'Memory this worker process may use, in bytes. 0: auto, the cgroup memory limit (a container\'s), else the machine\'s total memory. npm start gives each of its WORKERS a share',
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
      description: 'Port of the worker\'s Prometheus /metrics and /healthz endpoint; 0 turns it off',
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
    throw new ConfigError(variable, `${firstError.message} (got ${JSON.stringify(raw[variable])})`);
  }
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
