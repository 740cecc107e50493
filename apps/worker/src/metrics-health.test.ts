import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { serveMetrics } from './metrics.ts';
import { BackendHealth } from './wasm-failure.ts';

const health = new BackendHealth();
const served = await serveMetrics(new Registry(), 0, { health });
afterAll(() => served.server.close());

describe("the worker's /healthz", () => {
  it('answers 200 while the backend runs models, 503 with the reason once it failed', async () => {
    const url = `http://127.0.0.1:${served.port}/healthz`;
    expect((await fetch(url)).status).toBe(200);
    health.markFailed('memory access out of bounds');
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'backend unusable', reason: 'memory access out of bounds' });
  });
});
