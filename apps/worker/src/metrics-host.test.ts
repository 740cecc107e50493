import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { serveMetrics } from './metrics.ts';

describe('the worker metrics endpoint', () => {
  it('listens on loopback unless told otherwise (METRICS_HOST)', async () => {
    const local = await serveMetrics(new Registry(), 0);
    const everywhere = await serveMetrics(new Registry(), 0, { host: '0.0.0.0' });
    try {
      expect(local.address).toBe('127.0.0.1');
      expect(everywhere.address).toBe('0.0.0.0');
      expect((await fetch(`http://127.0.0.1:${local.port}/healthz`)).status).toBe(200);
    } finally {
      await local.close();
      await everywhere.close();
    }
  });
});
