import { pino } from 'pino';
import { parseConfig, routeProcessWarningsToLog, WorkerConfigSchema } from '@mlq/jobs';
import { startWorkerApp, type WorkerApp } from './worker-app.ts';
import { routeConsoleToLog } from './console-to-log.ts';

/** Exit code of a worker whose tfjs backend failed (EX_SOFTWARE): npm start and Kubernetes restart it. */
const BACKEND_FAILED_EXIT_CODE = 70;

async function run(): Promise<void> {
  const config = parseConfig(WorkerConfigSchema);
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker', pid: process.pid } });
  routeConsoleToLog(log);
  routeProcessWarningsToLog(log);
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
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

  // A failed wasm heap: the job that caused it is failing for good and the others were released;
  // close (which waits for those failures and releases to be written) and exit non-zero.
  const onFatal = () => {
    stopping = true;
    const exit = () => process.exit(BACKEND_FAILED_EXIT_CODE);
    setImmediate(() => void (app ? app.close(0).then(exit, exit) : exit()));
    // Never hang on a broken process.
    setTimeout(exit, 10_000).unref();
  };

  app = await startWorkerApp(config, log, { onFatal });
  if (stopping) void close(app);
}

run().catch((error: unknown) => {
  // A JSON line on stderr (the console may already go through the logger, on stdout).
  const msg = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), service: 'worker', pid: process.pid, msg })}\n`);
  process.exit(1);
});
