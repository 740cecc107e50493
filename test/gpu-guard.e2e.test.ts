import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from './harness/redis.ts';
import { startWorkerProcess } from './harness/processes.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.close());

const storeDir = mkdtempSync(path.join(tmpdir(), 'mlq-gpu-guard-'));
const env = () => ({ REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, METRICS_PORT: '0' });

// This machine has no GPU (and no tfjs-node-gpu), which is the situation the guard is for.
describe('a GPU worker without a usable GPU', () => {
  it('refuses to start with GPU=required, saying what is missing', async () => {
    await expect(startWorkerProcess({ ...env(), GPU: 'required' })).rejects.toThrow(
      /worker exited \(1\).*GPU=required but no usable GPU: backend (wasm|cpu|tensorflow) .*CUDA 11\.2.*GPU=preferred/s,
    );
  });

  it('starts on the CPU with GPU=preferred, warning loudly', async () => {
    const worker = await startWorkerProcess({ ...env(), GPU: 'preferred' });
    const warning = await worker.waitForLog((line) => String(line.msg).startsWith('NO GPU'));
    expect(warning.level).toBe(40); // pino's warn
    expect(await worker.stop()).toBe(0);
  });
});
