import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo, initBackend } from './backend.ts';

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('initBackend', () => {
  it('picks the best available backend once, logs it and reports where it comes from', async () => {
    expect(getBackendInfo()).toBeUndefined();
    const logs: string[] = [];
    const info = await initBackend('auto', (m) => logs.push(m));
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.name);
    expect(info.name).toBe(tf.getBackend());
    expect(info.package).toMatch(/^@tensorflow\/tfjs-/);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`tfjs backend ${info.name} from ${info.package}`);
    if (info.name !== 'tensorflow') expect(logs[0]).toMatch(/tfjs-node \(not installed\)/);
    expect(await initBackend('auto')).toBe(info);
    expect(await initBackend(info.name as 'wasm')).toBe(info);
    expect(getBackendInfo()).toBe(info);
  });

  it('refuses to switch to another backend once one is in use', async () => {
    const info = await initBackend('auto');
    const other = info.name === 'cpu' ? 'wasm' : 'cpu';
    await expect(initBackend(other)).rejects.toThrow(`tfjs backend "${other}" requested, but this process already uses "${info.name}"`);
  });

  it.skipIf(tfjsNodeInstalled)('names the package to install when an explicit backend is missing', async () => {
    vi.resetModules(); // a fresh module: no backend chosen yet
    const fresh = await import('./backend.ts');
    await expect(fresh.initBackend('tensorflow')).rejects.toThrow(
      'tfjs backend "tensorflow" is not available: @tensorflow/tfjs-node-gpu (not installed); @tensorflow/tfjs-node (not installed). Install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node',
    );
    expect(fresh.getBackendInfo()).toBeUndefined();
    await expect(fresh.initBackend('bogus' as 'cpu')).rejects.toThrow(/unknown tfjs backend "bogus"/);
  });
});
