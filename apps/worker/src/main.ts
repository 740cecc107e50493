import { pino } from 'pino';
import { parseConfig, WorkerConfigSchema } from '@mlq/jobs';
import { startWorkerApp, type WorkerApp } from './worker-app.ts';

async function run(): Promise<void> {
  const config = parseConfig(WorkerConfigSchema);
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker', pid: process.pid } });
  let app: WorkerApp | undefined;
  let stopping = false;

  const close = (started: WorkerApp) =>
    started.close().then(
      () => {
        log.info('worker closed');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );

  // Installed before the BullMQ workers start: a SIGTERM that arrives while the worker is still
  // starting (a pod scaled in at once) must not kill it by default after it took a job.
  const shutdown = (signal: string) => {
    // Ctrl-C under `npm start` reaches a worker twice (the terminal's SIGINT, then the forwarded SIGTERM).
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down: no new jobs; finishing or releasing active ones');
    if (app) void close(app);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  app = await startWorkerApp(config, log);
  if (stopping) void close(app);
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
