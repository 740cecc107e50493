import { describe, expect, it } from 'vitest';
import os from 'node:os';
import { availableCpus, resolveTrainingThreads } from './training-threads.ts';

describe('training threads', () => {
  it('reads the cgroup CPU quota below the CPUs Node sees', () => {
    const cpus = os.availableParallelism();
    expect(availableCpus(() => undefined)).toBe(cpus);
    expect(availableCpus(() => 'max 100000\n')).toBe(cpus);
    expect(availableCpus(() => '100000 100000\n')).toBe(1);
    expect(availableCpus(() => '50000 100000\n')).toBe(1); // half a CPU still gets one thread
    expect(availableCpus(() => `${200000 * cpus} 100000\n`)).toBe(cpus); // a quota above the machine
  });

  it('auto: CPUs per concurrent training, at most 4, one on tensorflow; a number is taken as given', () => {
    expect(resolveTrainingThreads('auto', 'wasm', 1, 2)).toBe(2);
    expect(resolveTrainingThreads('auto', 'cpu', 1, 16)).toBe(4);
    expect(resolveTrainingThreads('auto', 'wasm', 4, 6)).toBe(1);
    expect(resolveTrainingThreads('auto', 'wasm', 1, 1)).toBe(1);
    expect(resolveTrainingThreads('auto', 'tensorflow', 1, 16)).toBe(1);
    expect(resolveTrainingThreads('3', 'wasm', 1, 1)).toBe(3);
  });
});
