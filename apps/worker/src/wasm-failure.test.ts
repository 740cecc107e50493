import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/harness/processes.ts';
import { BackendHealth, isWasmHeapFailure } from './wasm-failure.ts';

/**
 * Fills a real wasm heap in a child process (the failure breaks the backend for good, so not in
 * this one) and reports what tfjs threw, then what the next, tiny operation threw.
 */
const exhaustHeap = `
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@mlq/models';
await initBackend('wasm');
const kept = [];
const report = (stage, error) => console.log(JSON.stringify({ stage, name: error.name, message: error.message, wasmTrap: error instanceof WebAssembly.RuntimeError }));
try {
  for (let i = 0; i < 8; i++) kept.push(tf.fill([256 * 1024 * 1024], 1));
  console.log(JSON.stringify({ stage: 'fill', message: 'no failure' }));
} catch (error) { report('fill', error); }
tf.dispose(kept);
try { tf.add(tf.ones([4]), 1).dataSync(); console.log(JSON.stringify({ stage: 'after', message: 'no failure' })); } catch (error) { report('after', error); }
`;

describe('a failed wasm heap', () => {
  it('is recognised from what tfjs really throws, and so is every later call', () => {
    // Takes the heap to its 4 GiB limit: a few seconds and 4 GiB of memory, once.
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', exhaustHeap], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    const lines = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { stage: string; name: string; message: string; wasmTrap: boolean });
    const fill = lines.find((l) => l.stage === 'fill');
    const after = lines.find((l) => l.stage === 'after');
    expect(fill?.message, run.stderr).toMatch(/memory access out of bounds|Aborted|memory/i);
    expect(after?.message).toMatch(/Aborted/);
    for (const line of [fill!, after!]) {
      const error = Object.assign(new Error(line.message), { name: line.name });
      expect(isWasmHeapFailure(error), line.message).toBe(true);
    }
    expect(fill!.wasmTrap || /Aborted/.test(fill!.message)).toBe(true);
  });

  it('is not confused with ordinary failures', () => {
    for (const message of ['model not found: x', 'training diverged at batch 3: loss NaN', 'connect ECONNREFUSED 127.0.0.1:6379', 'series "X" has 3 points']) {
      expect(isWasmHeapFailure(new Error(message))).toBe(false);
    }
    expect(isWasmHeapFailure(new Error('wrapped', { cause: Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' }) }))).toBe(true);
  });

  it('keeps the first failure as the reason', () => {
    const health = new BackendHealth();
    expect(health.usable).toBe(true);
    expect(health.markFailed('memory access out of bounds')).toBe(true);
    expect(health.markFailed('Aborted()')).toBe(false);
    expect(health).toMatchObject({ usable: false, failure: 'memory access out of bounds' });
  });
});
