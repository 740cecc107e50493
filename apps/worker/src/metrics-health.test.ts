import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { serveMetrics } from './metrics.ts';
import { BackendHealth } from './wasm-failure.ts';

const health = new BackendHealth();
const served = await serveMetrics(new Registry(), 0, { health });
afterAll(() => served.close());

/** Holds this thread's event loop for `ms` (what one long tfjs op does). */
const block = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

/** GET from another process: this one's event loop is about to be blocked on purpose. */
const getFromOutside = (url: string, delayMs = 0) =>
  new Promise<{ status: number; body: string; answeredAt: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [
      '-e',
      `setTimeout(() => fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text(), answeredAt: Date.now() }))), ${delayMs})`,
    ]);
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', () => (out ? resolve(JSON.parse(out)) : reject(new Error('no answer'))));
  });

describe("the worker's /healthz", () => {
  it('answers 200 while the backend runs models, 503 with the reason once it failed', async () => {
    const url = `http://127.0.0.1:${served.port}/healthz`;
    expect((await fetch(url)).status).toBe(200);
    health.markFailed('memory access out of bounds');
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'backend unusable', reason: 'memory access out of bounds' });
  });

  it('is answered while the main event loop is held, and says so once it is held past the stall limit', async () => {
    const probe = await serveMetrics(new Registry(), 0, { stallLimitMs: 1_500 });
    try {
      const url = `http://127.0.0.1:${probe.port}/healthz`;
      const answer = getFromOutside(url);
      // The child's request arrives while this loop is held; the probe thread answers it anyway,
      // before the hold ends (an in-loop server would answer after it).
      const heldFrom = Date.now();
      block(4_000);
      const heldUntil = Date.now();
      const { status, answeredAt } = await answer;
      expect(status).toBe(200);
      expect(answeredAt).toBeLessThan(heldUntil);
      expect(answeredAt).toBeGreaterThan(heldFrom);

      // The request lands 2.5 s (plus a node start) into a 5 s hold, past the 1.5 s stall limit.
      const late = getFromOutside(url, 2_500);
      block(5_000);
      const stalled = await late;
      expect(stalled.status).toBe(503);
      expect(JSON.parse(stalled.body)).toMatchObject({ status: 'event loop stalled' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await probe.close();
    }
  });

  it('serves the registry on /metrics through the main thread', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'worker' });
    const { Counter } = await import('prom-client');
    new Counter({ name: 'mlq_probe_test_total', help: 'a counter', registers: [registry] }).inc(3);
    const probe = await serveMetrics(registry, 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${probe.port}/metrics`)).text();
      expect(text).toContain('mlq_probe_test_total{service="worker"} 3');
    } finally {
      await probe.close();
    }
  });
});
