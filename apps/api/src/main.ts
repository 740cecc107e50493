import { ApiConfigSchema, parseConfig, routeProcessWarningsToLog } from '@mlq/jobs';
import { buildServer } from './server.ts';

async function run(): Promise<void> {
  const config = parseConfig(ApiConfigSchema);
  const app = await buildServer({ config, logger: { level: config.LOG_LEVEL } });
  routeProcessWarningsToLog(app.log);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'closing');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ host: config.HOST, port: config.PORT });
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
