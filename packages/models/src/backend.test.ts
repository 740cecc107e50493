import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';

describe('initBackend', () => {
  it('picks the best available backend once and reports where it comes from', async () => {
    const logs: string[] = [];
    const info = await initBackend('auto', (m) => logs.push(m));
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.name);
    expect(info.package).toMatch(/^@tensorflow\/tfjs-/);
    expect(await initBackend('auto')).toBe(info);
    if (info.name !== 'tensorflow') expect(logs[0]).toMatch(/tfjs-node \(not installed\)/);
  });
});
