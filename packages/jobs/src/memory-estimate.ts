import type { TrainPayload } from './schemas.ts';
import type { PriceLstmParams } from './schemas.ts';
import type { TextGenParams, TextGenPresetName } from './textgen-schemas.ts';
import type { Seq2SeqParams } from './seq2seq-schemas.ts';
import { PRICE_DEFAULT_WINDOW, SEQ2SEQ_DEFAULT_EMBEDDING_SIZE, TEXTGEN_PRESETS } from './requirements.ts';

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
 * on the wasm backend by `apps/worker/src/memory-estimate.test.ts`, which keeps the estimate
 * above the measured peak and within 4× of it.
 */

const FLOAT = 4;

/** Float32 values a fast LSTM layer holds per (step × row × unit) at the peak of its backward pass. */
export const LSTM_VALUES_PER_STEP_UNIT = 50;
/** The same for a fast GRU layer (three gates). */
export const GRU_VALUES_PER_STEP_UNIT = 40;
/** Float32 values per (step × row × input feature): the layer's input, its transposed copy and its gradient. */
const VALUES_PER_STEP_INPUT = 4;
/** Float32 values per (token × vocabulary entry) of a softmax output layer: one-hot targets, logits, softmax, log-softmax, gradients. */
const VALUES_PER_LOGIT = 8;
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

/** Defaults the API applies before a worker sees a request (mirrors `@mlq/models`; a worker contract test keeps them equal). */
export const PRICE_LSTM_DEFAULTS = { window: PRICE_DEFAULT_WINDOW, units1: 50, units2: 100, batchSize: 512, validationSplit: 0.1 } as const;
export const SEQ2SEQ_DEFAULTS = {
  embeddingSize: SEQ2SEQ_DEFAULT_EMBEDDING_SIZE,
  units: 128,
  maxVocabulary: 4000,
  maxInputLength: 20,
  maxReplyLength: 20,
  batchSize: 32,
} as const;
/** Tokens the seq2seq vocabulary holds besides words: `<pad>`, `<unk>`, `<start>`, `<end>`. */
const SEQ2SEQ_SPECIAL_TOKENS = 4;

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
function usableThreads(threads: number, rows: number, minRows: number): number {
  return Math.max(1, Math.min(threads, Math.floor(rows / minRows)));
}

function recurrentLayerBytes(cell: 'lstm' | 'gru', steps: number, rows: number, units: number, inputs: number): number {
  const perUnit = cell === 'lstm' ? LSTM_VALUES_PER_STEP_UNIT : GRU_VALUES_PER_STEP_UNIT;
  return FLOAT * steps * rows * (perUnit * units + VALUES_PER_STEP_INPUT * inputs);
}

function recurrentWeights(cell: 'lstm' | 'gru', inputs: number, units: number): number {
  const gates = cell === 'lstm' ? 4 : 3;
  return gates * units * (inputs + units + 1);
}

/**
 * Assembles an estimate: `activations(rows)` is one thread's activation bytes for a share of
 * `rows` rows; the main thread also holds the optimizer slots and the data.
 */
function assemble(input: {
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

/** A price training's params as the worker resolves them. */
export interface PriceTrainingShape {
  params?: PriceLstmParams | undefined;
  /** Points in the series. */
  seriesLength: number;
  /** The held-out tail (default: the horizon, 10). */
  holdout?: number | undefined;
}

/** Peak memory of a price LSTM training (a linear fit needs none worth counting). */
export function estimatePriceTraining(shape: PriceTrainingShape, threads = 1): MemoryEstimate {
  const p = { ...PRICE_LSTM_DEFAULTS, ...definedOnly(shape.params ?? {}) };
  const windows = Math.max(1, shape.seriesLength - (shape.holdout ?? 10) - p.window);
  const fitWindows = Math.max(1, windows - Math.floor(windows * p.validationSplit));
  const rows = Math.min(p.batchSize, fitWindows);
  const used = usableThreads(threads, rows, 64);
  const weights = recurrentWeights('lstm', 1, p.units1) + recurrentWeights('lstm', p.units1, p.units2) + p.units2 + 1;
  return assemble({
    weights,
    optimizerSlots: 2,
    batchRows: rows,
    threads: used,
    // Two LSTMs over the window, their dropout masks and outputs.
    activations: (share) =>
      recurrentLayerBytes('lstm', p.window, share, p.units1, 1) + recurrentLayerBytes('lstm', p.window, share, p.units2, p.units1) + FLOAT * 4 * p.window * share * p.units1,
    // The windows (inputs and targets), their split into fit and validation, and each epoch's shuffled copy.
    dataBytes: FLOAT * 3 * windows * (p.window + 1),
    largestTensorBytes: FLOAT * p.window * Math.ceil(rows / used) * 4 * Math.max(p.units1, p.units2),
    drivers: sortDrivers([
      ['window', p.window],
      ['batchSize', p.batchSize],
      ['units1', p.units1],
      ['units2', p.units2],
    ]),
  });
}

/** A text generator training's params over its preset, and the corpus facts. */
export interface TextGenTrainingShape {
  preset?: TextGenPresetName | undefined;
  params?: TextGenParams | undefined;
  /** Characters in the corpus. */
  characters: number;
  /** Distinct characters (the vocabulary). */
  distinctCharacters: number;
}

/** Peak memory of a text generator training. */
export function estimateTextGenTraining(shape: TextGenTrainingShape, threads = 1): MemoryEstimate {
  const p = { ...TEXTGEN_PRESETS[shape.preset ?? 'default'], ...definedOnly(shape.params ?? {}) };
  const vocabulary = Math.max(1, shape.distinctCharacters);
  const windows = Math.max(1, Math.floor((shape.characters - p.seqLength - 1) / p.step) + 1);
  const rows = Math.min(p.batchSize, windows);
  const used = usableThreads(threads, rows, 8);
  const cell = p.cell as 'lstm' | 'gru';
  let weights = vocabulary * (p.units + 1);
  for (let layer = 0; layer < p.layers; layer++) weights += recurrentWeights(cell, layer === 0 ? vocabulary : p.units, p.units);
  const activations = (share: number) => {
    let bytes = FLOAT * VALUES_PER_LOGIT * p.seqLength * share * vocabulary;
    for (let layer = 0; layer < p.layers; layer++) bytes += recurrentLayerBytes(cell, p.seqLength, share, p.units, layer === 0 ? vocabulary : p.units);
    return bytes;
  };
  const share = Math.ceil(rows / used);
  return assemble({
    weights,
    optimizerSlots: 2,
    batchRows: rows,
    threads: used,
    activations,
    // The corpus as UTF-16 text and as Int32 character codes (shared with the threads).
    dataBytes: 6 * shape.characters,
    largestTensorBytes: FLOAT * p.seqLength * share * Math.max(vocabulary, (cell === 'lstm' ? 4 : 3) * p.units),
    drivers: sortDrivers([
      ['batchSize', p.batchSize],
      ['seqLength', p.seqLength],
      ['units', p.units],
      ['layers', p.layers],
      ['vocabulary', vocabulary],
    ]),
  });
}

/** A chatbot training's params and the pairs dataset's facts. */
export interface Seq2SeqTrainingShape {
  params?: Seq2SeqParams | undefined;
  /** Pairs in the dataset. */
  pairs: number;
  /** Distinct words of the dataset when known; the vocabulary is at most `maxVocabulary` either way. */
  distinctWords?: number | undefined;
}

/** Peak memory of a seq2seq training. */
export function estimateSeq2SeqTraining(shape: Seq2SeqTrainingShape, threads = 1): MemoryEstimate {
  const p = { ...SEQ2SEQ_DEFAULTS, ...definedOnly(shape.params ?? {}) };
  const vocabulary = Math.min(p.maxVocabulary, (shape.distinctWords ?? Infinity) + SEQ2SEQ_SPECIAL_TOKENS);
  const rows = Math.min(p.batchSize, Math.max(1, shape.pairs));
  const used = usableThreads(threads, rows, 8);
  const inputSteps = p.maxInputLength;
  const replySteps = p.maxReplyLength + 1;
  const weights = vocabulary * p.embeddingSize + 2 * recurrentWeights('lstm', p.embeddingSize, p.units) + vocabulary * (p.units + 1);
  const activations = (share: number) =>
    FLOAT * VALUES_PER_LOGIT * replySteps * share * vocabulary +
    recurrentLayerBytes('lstm', inputSteps, share, p.units, p.embeddingSize) +
    recurrentLayerBytes('lstm', replySteps, share, p.units, p.embeddingSize) +
    // The embedding's gradient is dense: a [vocabulary, embeddingSize] per step of either sequence would be too much; tfjs sums it once.
    FLOAT * 2 * vocabulary * p.embeddingSize;
  const share = Math.ceil(rows / used);
  return assemble({
    weights,
    optimizerSlots: 2,
    batchRows: rows,
    threads: used,
    activations,
    // Encoded pairs (int32 tokens of both sides) kept in memory for the whole training.
    dataBytes: FLOAT * shape.pairs * (inputSteps + 2 * replySteps),
    largestTensorBytes: FLOAT * replySteps * share * Math.max(vocabulary, 4 * p.units),
    drivers: sortDrivers([
      ['batchSize', p.batchSize],
      ['maxVocabulary', p.maxVocabulary],
      ['maxReplyLength', p.maxReplyLength],
      ['units', p.units],
      ['embeddingSize', p.embeddingSize],
    ]),
  });
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

function sortDrivers(entries: Array<[string, number]>): string[] {
  return entries.map(([name, value]) => `${name} ${value}`);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Dataset facts a training's estimate needs, by family (the API has them from the dataset records). */
export type TrainingFacts =
  | { kind: 'price'; seriesLength: number }
  | { kind: 'textgen'; characters: number; distinctCharacters: number }
  | { kind: 'seq2seq'; pairs: number; distinctWords?: number | undefined };

/** The estimate of a training payload, or undefined for a linear price fit (no tensors worth counting). */
export function estimateTraining(payload: TrainPayload, facts: TrainingFacts, threads: number): MemoryEstimate | undefined {
  if (payload.kind === 'price' && facts.kind === 'price') {
    if ((payload.architecture ?? 'lstm') === 'linear') return undefined;
    return estimatePriceTraining({ params: payload.params, seriesLength: facts.seriesLength, holdout: payload.holdout ?? payload.horizon }, threads);
  }
  if (payload.kind === 'textgen' && facts.kind === 'textgen') return estimateTextGenTraining({ preset: payload.preset, params: payload.params, ...facts }, threads);
  if (payload.kind === 'seq2seq' && facts.kind === 'seq2seq') return estimateSeq2SeqTraining({ params: payload.params, ...facts }, threads);
  throw new TypeError(`facts of a ${facts.kind} dataset for a ${payload.kind} training`);
}

/** Why this training does not fit these limits (with the estimate, the limit and the params that drive it), or undefined. */
export function checkTrainingMemory(payload: TrainPayload, facts: TrainingFacts, limits: MemoryLimits): MemoryRefusal | undefined {
  const estimate = estimateTraining(payload, facts, limits.threads);
  return estimate && exceedsLimits(estimate, limits);
}
