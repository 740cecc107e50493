import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { installFastWasmSlicing } from './wasm-kernels.ts';
import '@tensorflow/tfjs-backend-cpu';
import './tfjs-setup.ts';
import { ModelError } from './errors.ts';

/** What `initBackend` may be asked for: `tensorflow` is tfjs-node(-gpu), the native TensorFlow C library. */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The tfjs backend in use and where it comes from. */
export interface BackendInfo {
  /** `tf.getBackend()`: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** What the first `initBackend` call asked for. */
  requested: BackendName;
  /** npm package that provides it, e.g. `@tensorflow/tfjs-backend-wasm`. */
  package: string;
  /** Whether it runs on a GPU: tfjs-node-gpu loaded and found a usable device. */
  gpu: boolean;
}

type CandidateKey = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
type Candidate = { package: string; gpu: boolean; activate: () => Promise<boolean> };

const require = createRequire(import.meta.url);

/**
 * Imports a package only if installed: tfjs-node(-gpu) are optional dependencies, absent where
 * their install (which downloads libtensorflow) failed or was skipped.
 */
async function importOptional(name: string): Promise<unknown | undefined> {
  try {
    require.resolve(name);
  } catch {
    return undefined;
  }
  return import(name);
}

const candidates: Record<CandidateKey, Candidate> = {
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
      const ready = await tf.setBackend('wasm');
      if (ready) installFastWasmSlicing();
      return ready;
    },
  },
  cpu: { package: '@tensorflow/tfjs-backend-cpu', gpu: false, activate: () => tf.setBackend('cpu') },
};

const order: Record<BackendName, CandidateKey[]> = {
  auto: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow-gpu', 'tensorflow'],
  wasm: ['wasm'],
  cpu: ['cpu'],
};

let pending: Promise<BackendInfo> | undefined;
let chosen: BackendInfo | undefined;

async function selectBackend(requested: BackendName, log: (message: string) => void): Promise<BackendInfo> {
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
  const install = order[requested].map((key) => candidates[key].package).join(' or ');
  throw new ModelError(`tfjs backend "${requested}" is not available: ${failures.join('; ')}. Install ${install}, or ask for "auto"`);
}

/**
 * Selects the tfjs backend once per process and logs the choice. `auto` tries
 * `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`, wasm, then cpu. A backend asked for by
 * name that cannot load rejects with an error naming the package to install.
 *
 * Idempotent: later calls resolve to the same `BackendInfo` object. A later call naming a
 * different backend than the one in use rejects (tfjs holds one backend per process, and models
 * already built keep their tensors on it).
 * @defaultValue requested `'auto'`
 */
export async function initBackend(requested: BackendName = 'auto', log: (message: string) => void = () => {}): Promise<BackendInfo> {
  if (!order[requested]) throw new ModelError(`unknown tfjs backend "${String(requested)}" (known: ${Object.keys(order).join(', ')})`);
  if (!pending) {
    pending = selectBackend(requested, log).then(
      (info) => (chosen = info),
      (error: unknown) => {
        pending = undefined; // a failed choice may be retried, e.g. with "auto"
        throw error;
      },
    );
  }
  const info = await pending;
  if (requested !== 'auto' && requested !== info.name) {
    throw new ModelError(`tfjs backend "${requested}" requested, but this process already uses "${info.name}" (from ${info.package})`);
  }
  return info;
}

/** The backend chosen by `initBackend`, or undefined while none is chosen yet. */
export function getBackendInfo(): BackendInfo | undefined {
  return chosen;
}
