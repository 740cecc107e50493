import { pino } from 'pino';
import { parseConfig, WorkerConfigSchema } from '@mlq/jobs';
import { startWorkerApp } from './worker-app.ts';

async function run(): Promise<void> {
  const config = parseConfig(WorkerConfigSchema);
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker', pid: process.pid } });
  const app = await startWorkerApp(config, log);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'shutting down: no new jobs; finishing or releasing active ones');
    app.close().then(
      () => {
        log.info('worker closed');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
