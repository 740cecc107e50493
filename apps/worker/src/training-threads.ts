import { readFileSync } from 'node:fs';
import os from 'node:os';

/** `auto` never goes above this: more shards cost more in messaging than a batch of 512 gains. */
const AUTO_MAX_THREADS = 4;

/**
 * CPUs this process may use: Node's available parallelism (CPU affinity), lowered to the cgroup v2
 * CPU quota (`cpu.max`, what a Kubernetes CPU limit or `docker run --cpus` sets), which Node
 * does not read.
 */
export function availableCpus(readCpuMax: () => string | undefined = readCgroupCpuMax): number {
  const parallelism = os.availableParallelism();
  const [quota, period] = (readCpuMax() ?? '').trim().split(/\s+/);
  const limit = quota && quota !== 'max' && Number(period) > 0 ? Number(quota) / Number(period) : Infinity;
  return Math.max(1, Math.min(parallelism, Number.isFinite(limit) ? Math.floor(limit) : parallelism));
}

function readCgroupCpuMax(): string | undefined {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return undefined;
  }
}

/** `TRAINING_THREADS` resolved: a number as given, or `auto` from the CPUs, the training concurrency and the backend. */
export function resolveTrainingThreads(setting: string, backend: string, trainConcurrency: number, cpus: number = availableCpus()): number {
  if (setting !== 'auto') return Number(setting);
  if (backend === 'tensorflow') return 1;
  return Math.max(1, Math.min(AUTO_MAX_THREADS, Math.floor(cpus / trainConcurrency)));
}
