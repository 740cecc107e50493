import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './tfjs-setup.ts';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The tfjs backend in use and where it comes from. */
export interface BackendInfo {
  /** `tf.getBackend()`: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  requested: BackendName;
  /** npm package that provides it. */
  package: string;
  /** Whether it runs on a GPU: tfjs-node-gpu loaded and found a usable device. */
  gpu: boolean;
}

type Candidate = { package: string; gpu: boolean; activate: () => Promise<boolean> };

const require = createRequire(import.meta.url);

/** Imports a package only if installed; optional dependencies are absent where their install failed. */
async function importOptional(name: string): Promise<unknown | undefined> {
  try {
    require.resolve(name);
  } catch {
    return undefined;
  }
  return import(name);
}

const candidates: Record<'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu', Candidate> = {
  'tensorflow-gpu': {
    package: '@tensorflow/tfjs-node-gpu',
    gpu: true,
    activate: async () => (await importOptional('@tensorflow/tfjs-node-gpu')) !== undefined && tf.setBackend('tensorflow'),
  },
  tensorflow: {
    package: '@tensorflow/tfjs-node',
    gpu: false,
    activate: async () => (await importOptional('@tensorflow/tfjs-node')) !== undefined && tf.setBackend('tensorflow'),
  },
  wasm: {
    package: '@tensorflow/tfjs-backend-wasm',
    gpu: false,
    activate: async () => {
      const wasm = (await importOptional('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm') | undefined;
      if (!wasm) return false;
      // In Node the .wasm binaries are read from the package's dist folder, not fetched.
      wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
      return tf.setBackend('wasm');
    },
  },
  cpu: { package: '@tensorflow/tfjs-backend-cpu', gpu: false, activate: () => tf.setBackend('cpu') },
};

const order: Record<BackendName, Array<keyof typeof candidates>> = {
  auto: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

let current: Promise<BackendInfo> | undefined;

/**
 * Selects the tfjs backend once per process: `auto` tries tfjs-node-gpu, tfjs-node, wasm, cpu.
 * A backend asked for by name that cannot load is an error naming the package to install.
 */
export function initBackend(requested: BackendName = 'auto', log: (message: string) => void = () => {}): Promise<BackendInfo> {
  current ??= (async () => {
    const failures: string[] = [];
    for (const key of order[requested]) {
      const candidate = candidates[key];
      try {
        if (await candidate.activate()) {
          await tf.ready();
          // tfjs-node-gpu loads without a usable GPU too (TensorFlow then runs on the CPU); its
          // backend says whether it found a device.
          const gpu = candidate.gpu && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
          const info: BackendInfo = { name: tf.getBackend(), requested, package: candidate.package, gpu };
          log(`tfjs backend ${info.name} from ${info.package}${info.gpu ? ' (GPU)' : ''}${failures.length ? `; unavailable: ${failures.join(', ')}` : ''}`);
          return info;
        }
        failures.push(`${candidate.package} (not installed)`);
      } catch (error) {
        failures.push(`${candidate.package} (${(error as Error).message})`);
      }
    }
    current = undefined;
    throw new Error(`tfjs backend "${requested}" is not available: ${failures.join('; ')}. Install the package named, or use TF_BACKEND=auto`);
  })();
  return current;
}

/** The backend chosen by `initBackend`, or undefined before it ran. */
export async function getBackendInfo(): Promise<BackendInfo | undefined> {
  return current?.catch(() => undefined);
}
