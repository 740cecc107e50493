// The health probe's clock, on a thread of its own: the chaos process fires hundreds of requests
// at once, and a probe timed on that process' busy event loop would measure its own stalls, not
// the system's. Here nothing else runs: each /healthz is timed from send to answer.
import { parentPort, workerData } from 'node:worker_threads';

/** inFlightSince[slot]: when the slot's request went out (ms since the epoch), or 0. */
const inFlightSince = new Float64Array(workerData.inFlight);
const targets = new Map(); // slot → { name, url }

parentPort.on('message', (message) => {
  if (message.type === 'add') targets.set(message.slot, { name: message.name, url: message.url });
  else if (message.type === 'remove') {
    targets.delete(message.slot);
    inFlightSince[message.slot] = 0;
  } else if (message.type === 'stop') {
    clearInterval(timer);
    parentPort.close();
  }
});

function tick() {
  for (const [slot, target] of targets) {
    if (inFlightSince[slot] !== 0) continue;
    const started = Date.now();
    inFlightSince[slot] = started;
    fetch(target.url, { signal: AbortSignal.timeout(120_000) })
      .then(async (response) => {
        await response.arrayBuffer();
        return true;
      })
      // Refused or cut: the process is down (killed on purpose, or not up yet); not a latency.
      .catch((error) => error instanceof Error && error.name === 'TimeoutError')
      .then((answered) => {
        if (targets.get(slot) !== target) return;
        inFlightSince[slot] = 0;
        if (answered) parentPort.postMessage({ name: target.name, startedAt: started, ms: Date.now() - started });
      });
  }
}

const timer = setInterval(tick, workerData.intervalMs);
