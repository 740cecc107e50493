// The worker's /healthz and /metrics server, on its own thread: a training batch or a forecast
// step holds the main event loop for up to seconds (one tfjs op cannot yield), and a probe must
// not wait for it. /healthz is answered here from what the main thread last said; /metrics asks
// the main thread for the registry's text (a scrape may wait for a batch; a probe never does).
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { host, port, stallLimitMs, heartbeat } = workerData;
/** [0]: when the main thread's event loop last turned, in ms since the epoch. */
const beats = new Float64Array(heartbeat);
let failure;
let nextScrape = 0;
const scrapes = new Map();

parentPort.on('message', (message) => {
  if (message.type === 'failure') failure = message.reason;
  else if (message.type === 'metrics') {
    const response = scrapes.get(message.id);
    scrapes.delete(message.id);
    if (!response) return;
    if (message.error !== undefined) response.writeHead(500).end(message.error);
    else response.writeHead(200, { 'content-type': message.contentType }).end(message.text);
  }
});

function health() {
  if (failure !== undefined) return { status: 503, body: { status: 'backend unusable', reason: failure } };
  const stalledMs = Date.now() - beats[0];
  if (stalledMs > stallLimitMs) return { status: 503, body: { status: 'event loop stalled', stalledMs: Math.round(stalledMs) } };
  return { status: 200, body: { status: 'ok' } };
}

const server = createServer((request, response) => {
  const path = request.url?.split('?')[0];
  if (path === '/healthz') {
    const { status, body } = health();
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  } else if (path === '/metrics') {
    const id = nextScrape++;
    scrapes.set(id, response);
    response.on('close', () => scrapes.delete(id));
    parentPort.postMessage({ type: 'metrics', id });
  } else {
    response.writeHead(404).end();
  }
});
server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', address: server.address() }));
