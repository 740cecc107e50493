/**
 * Peak memory of a training, from its payload and the dataset facts the API already holds, without
 * tfjs. A training's tensors are: the weights, their gradients (a replica's and the averaged ones),
 * the optimizer's slots (RMSprop 2, Adam 2), the activations a batch keeps for its backward pass
 * (the recurrent layers keep every step's gates and states: `packages/models/src/recurrent/*-sequence.ts`)
 * plus the backward pass's own temporaries, and the data tensors. With `threads` > 1 each thread
 * is a replica with its own wasm heap: it holds the weights, its gradients and the activations of
 * its share of the batch; the main thread also holds the optimizer and the data.
 *
 * The per-step coefficients are calibrated against tfjs' measured peak (`tf.profile().peakBytes`)
 * on the wasm backend by `apps/worker/src/memory-estimate.test.ts`. Each family's estimate
 * is in its spec (`families/<kind>.ts`); this module holds what they share, which keeps the estimate
 * above the measured peak and within 4× of it.
 */

export const FLOAT = 4;

/** Float32 values a fast LSTM layer holds per (step × row × unit) at the peak of its backward pass. */
export const LSTM_VALUES_PER_STEP_UNIT = 50;
/** The same for a fast GRU layer (three gates). */
export const GRU_VALUES_PER_STEP_UNIT = 40;
/** Float32 values per (step × row × input feature): the layer's input, its transposed copy and its gradient. */
const VALUES_PER_STEP_INPUT = 4;
/** Float32 values per (token × vocabulary entry) of a softmax output layer: one-hot targets, logits, softmax, log-softmax, gradients. */
export const VALUES_PER_LOGIT = 8;
/** Fixed cost of a tfjs heap (kernels' scratch, small tensors) counted once per heap. */
const HEAP_OVERHEAD_BYTES = 4 * 1024 * 1024;

/** A wasm32 heap cannot pass 4 GiB (tfjs-backend-wasm's `getHeapMax()`: 4 GiB − 64 KiB). */
export const WASM_HEAP_MAX_BYTES = 4 * 1024 ** 3 - 64 * 1024;
/**
 * What a training may plan to use of one wasm heap: the allocator fragments a heap that grows and
 * never shrinks, so a plan of the whole 4 GiB fails ("memory access out of bounds") before its
 * tensors add up to it: the talk's LSTM with window 365 on Bitcoin, estimated at 2.8 GiB per heap
 * on two threads, failed with the process at 4.3 GB. Half the address space is what we plan on.
 */
export const WASM_HEAP_USABLE_BYTES = 2 * 1024 ** 3;
/** The largest single tensor: wasm32 computes byte offsets in signed 32-bit integers. */
export const WASM_TENSOR_MAX_BYTES = 2 ** 31 - 1;

/** The estimate of one training, in bytes. */
export interface MemoryEstimate {
  /** Every heap of the training together (main thread and replica threads). */
  totalBytes: number;
  /** The largest single heap (the main thread's): on wasm it must stay within `WASM_HEAP_USABLE_BYTES`. */
  heapBytes: number;
  /** The largest single tensor: on wasm it must stay within `WASM_TENSOR_MAX_BYTES`. */
  largestTensorBytes: number;
  /** Threads the batch is split across (as the worker will, given its `TRAINING_THREADS`). */
  threads: number;
  /** The parameters that drive the estimate, as `name value` (e.g. `window 365`), biggest factor first. */
  drivers: string[];
  /** Bytes by part, for messages and tests: weights, optimizer, activations (all threads), data. */
  parts: { weights: number; optimizer: number; activations: number; data: number };
}

/** What a worker's training may use, and whether its heaps are wasm32 (bounded) or native. */
export interface MemoryLimits {
  /** Bytes the worker gives one training (its budget; see `TRAINING_MEMORY_BUDGET_BYTES`). */
  budgetBytes: number;
  /** Threads a training's batch is split across (the worker's resolved `TRAINING_THREADS`). */
  threads: number;
  /** True where heaps are wasm32 (wasm backend): per-heap and per-tensor limits apply. */
  wasmHeaps: boolean;
}

/** The share of a batch of `rows` the main thread gets when split across `threads` of at least `minRows` each (as `usableTrainingThreads`). */
export function usableThreads(threads: number, rows: number, minRows: number): number {
  return Math.max(1, Math.min(threads, Math.floor(rows / minRows)));
}

export function recurrentLayerBytes(cell: 'lstm' | 'gru', steps: number, rows: number, units: number, inputs: number): number {
  const perUnit = cell === 'lstm' ? LSTM_VALUES_PER_STEP_UNIT : GRU_VALUES_PER_STEP_UNIT;
  return FLOAT * steps * rows * (perUnit * units + VALUES_PER_STEP_INPUT * inputs);
}

export function recurrentWeights(cell: 'lstm' | 'gru', inputs: number, units: number): number {
  const gates = cell === 'lstm' ? 4 : 3;
  return gates * units * (inputs + units + 1);
}

/**
 * Assembles an estimate: `activations(rows)` is one thread's activation bytes for a share of
 * `rows` rows; the main thread also holds the optimizer slots and the data.
 */
export function assemble(input: {
  weights: number;
  optimizerSlots: number;
  batchRows: number;
  threads: number;
  activations: (rows: number) => number;
  dataBytes: number;
  largestTensorBytes: number;
  drivers: string[];
}): MemoryEstimate {
  const { threads, batchRows } = input;
  const shareRows = Math.ceil(batchRows / threads);
  const weightBytes = FLOAT * input.weights;
  // A heap holds the weights, a replica's gradients and the averaged ones.
  const perReplica = 3 * weightBytes + input.activations(shareRows) + HEAP_OVERHEAD_BYTES;
  const optimizer = FLOAT * input.optimizerSlots * input.weights;
  const heapBytes = perReplica + optimizer + input.dataBytes;
  const totalBytes = heapBytes + (threads - 1) * perReplica;
  return {
    totalBytes,
    heapBytes,
    largestTensorBytes: input.largestTensorBytes,
    threads,
    drivers: input.drivers,
    parts: { weights: weightBytes * threads, optimizer, activations: input.activations(shareRows) * threads, data: input.dataBytes },
  };
}

/** Why a training does not fit: the limit it passes, the numbers, and a message for the client. */
export interface MemoryRefusal {
  limit: 'budget' | 'wasm-heap' | 'wasm-tensor';
  /** The estimated bytes compared with the limit (whole training, one heap, or one tensor). */
  estimateBytes: number;
  limitBytes: number;
  /** The parameters that drive the estimate, as `name value`. */
  drivers: string[];
  message: string;
}

/** Why a training does not fit, or undefined when it does. */
export function exceedsLimits(estimate: MemoryEstimate, limits: MemoryLimits): MemoryRefusal | undefined {
  const drivers = `driven by ${estimate.drivers.join(', ')}: lower them`;
  const refuse = (limit: MemoryRefusal['limit'], estimateBytes: number, limitBytes: number, message: string): MemoryRefusal => ({
    limit,
    estimateBytes,
    limitBytes,
    drivers: estimate.drivers,
    message: `${message}; ${drivers}`,
  });
  if (estimate.totalBytes > limits.budgetBytes) {
    return refuse(
      'budget',
      estimate.totalBytes,
      limits.budgetBytes,
      `this training needs about ${formatBytes(estimate.totalBytes)} at its peak (${describeParts(estimate)}); the worker memory budget for a training is ${formatBytes(limits.budgetBytes)}`,
    );
  }
  if (!limits.wasmHeaps) return undefined;
  if (estimate.heapBytes > WASM_HEAP_USABLE_BYTES) {
    const threads = `${estimate.threads} training thread${estimate.threads === 1 ? '' : 's'}`;
    return refuse(
      'wasm-heap',
      estimate.heapBytes,
      WASM_HEAP_USABLE_BYTES,
      `this training needs about ${formatBytes(estimate.heapBytes)} in one WebAssembly heap (${threads}); a wasm heap holds at most ${formatBytes(WASM_HEAP_USABLE_BYTES)} safely (4 GiB addressable, fragmented as it grows)`,
    );
  }
  if (estimate.largestTensorBytes > WASM_TENSOR_MAX_BYTES) {
    return refuse(
      'wasm-tensor',
      estimate.largestTensorBytes,
      WASM_TENSOR_MAX_BYTES,
      `this training's largest tensor would be ${formatBytes(estimate.largestTensorBytes)}; the WebAssembly backend allows at most ${formatBytes(WASM_TENSOR_MAX_BYTES)} per tensor`,
    );
  }
  return undefined;
}

function describeParts(estimate: MemoryEstimate): string {
  const { weights, optimizer, activations, data } = estimate.parts;
  return `activations ${formatBytes(activations)}, weights ${formatBytes(weights)}, optimizer ${formatBytes(optimizer)}, data ${formatBytes(data)}`;
}

/** `1.5 GiB`, `320 MiB`, `12 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** The given fields of `value` without the undefined ones, to spread over defaults. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
