// Container healthcheck without curl in the image: GET http://127.0.0.1:$<PORT_VARIABLE><path>,
// exit 0 on a 2xx answer within 2 s, else 1.
// Usage: node docker/healthcheck.mjs PORT /healthz   (the API)
//        node docker/healthcheck.mjs METRICS_PORT /healthz   (a worker)
const defaults = { PORT: '3000', METRICS_PORT: '9464' };
const [portVariable = 'PORT', path = '/healthz'] = process.argv.slice(2);
const port = process.env[portVariable] || defaults[portVariable];
if (!port || port === '0') {
  console.error(`healthcheck: ${portVariable} is ${port ?? 'unset'}; nothing to probe`);
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
