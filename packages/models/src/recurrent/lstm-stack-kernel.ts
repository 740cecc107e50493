import type { RecurrentActivation } from './activations.ts';
import { instantiateLstmKernels, lstmWasmKernelsSupported, PANEL_COLUMNS, type KernelMemory, type LstmWasmKernels } from './lstm-wasm-kernels.ts';

/** One LSTM layer's weights as tfjs-layers keeps them (gates in Keras order i, f, c, o), copied out of tfjs. */
export interface LstmLayerWeights {
  inputSize: number;
  units: number;
  /** `[inputSize, 4 · units]`, row-major */
  kernel: Float32Array;
  /** `[units, 4 · units]` */
  recurrentKernel: Float32Array;
  /** `[4 · units]` */
  bias: Float32Array;
  recurrentActivation: RecurrentActivation;
}

/** A linear Dense layer's weights: `[inputSize, units]` and `[units]`. */
export interface DenseWeights {
  inputSize: number;
  units: number;
  kernel: Float32Array;
  bias: Float32Array;
}

const FLOAT = 4;
const PAGE = 65536;
const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** Where one layer lives in the kernel's memory (byte offsets) and its padded sizes. */
interface LayerPlan {
  weights: LstmLayerWeights;
  /** Input and units rounded up to whole 4-float vectors; padded units have zero weights and stay 0. */
  paddedInput: number;
  paddedUnits: number;
  /** Floats per row of `xh`: the padded input, then the padded previous output. */
  n: number;
  panels: number;
  w: number;
  bias: number;
  /** Workspace, `rows` capacity each: `xh` `[rows][n]`, `z` `[rows][4 · paddedUnits]`, `c` `[rows][paddedUnits]`. */
  xh: number;
  z: number;
  c: number;
}

/**
 * Inference for a stack of LSTM layers (each but the last returning sequences) under a linear
 * Dense head, as tfjs-layers computes `predict` on it (dropout is identity there), in WebAssembly
 * SIMD kernels with float32 arithmetic: one call per layer and time step for a whole batch of
 * windows, instead of tfjs' dozen ops per layer and step. The weights are copied once into the
 * kernel's own WebAssembly memory, which `release()` (or losing the last reference) frees.
 *
 * Each step runs layer by layer (layer l + 1's step t right after layer l's), so no layer's
 * whole output sequence is ever stored.
 */
export class LstmStackKernel {
  #memory: KernelMemory | null;
  #kernels: LstmWasmKernels;
  #heap: Float32Array;
  #layers: LayerPlan[];
  #head: DenseWeights;
  #weightBytes: number;
  #rowCapacity = 0;

  private constructor(layers: LstmLayerWeights[], head: DenseWeights) {
    let offset = 0;
    const take = (bytes: number) => {
      const at = offset;
      offset += roundUp(bytes, 16);
      return at;
    };
    this.#layers = layers.map((weights) => {
      const paddedInput = roundUp(weights.inputSize, 4);
      const paddedUnits = roundUp(weights.units, 4);
      const n = paddedInput + paddedUnits;
      const panels = (4 * paddedUnits) / PANEL_COLUMNS;
      return { weights, paddedInput, paddedUnits, n, panels, w: take(panels * n * PANEL_COLUMNS * FLOAT), bias: take(panels * PANEL_COLUMNS * FLOAT), xh: 0, z: 0, c: 0 };
    });
    this.#weightBytes = offset;
    this.#head = head;
    const { memory, kernels } = instantiateLstmKernels(Math.ceil(offset / PAGE) + 1);
    this.#memory = memory;
    this.#kernels = kernels;
    this.#heap = new Float32Array(this.#memory.buffer);
    for (const layer of this.#layers) this.#packWeights(layer);
  }

  /**
   * A kernel for `layers` (each layer's input the previous one's units) under `head`; null where
   * the runtime has no WebAssembly SIMD.
   */
  static create(layers: LstmLayerWeights[], head: DenseWeights): LstmStackKernel | null {
    if (!lstmWasmKernelsSupported()) return null;
    if (layers.length === 0) throw new RangeError('an LSTM stack needs at least one layer');
    const chained = layers.every((layer, l) => l === 0 || layer.inputSize === layers[l - 1]!.units) && head.inputSize === layers.at(-1)!.units;
    if (!chained) throw new RangeError('LSTM stack layer sizes do not chain');
    return new LstmStackKernel(layers, head);
  }

  /** Features per time step of the input. */
  get inputSize(): number {
    return this.#layers[0]!.weights.inputSize;
  }

  /** Outputs per window. */
  get outputSize(): number {
    return this.#head.units;
  }

  /** Bytes of the kernel's memory (0 once released): its copy of the weights and its workspace. */
  get byteLength(): number {
    return this.#memory?.buffer.byteLength ?? 0;
  }

  /**
   * The head's outputs `[rows, outputSize]` for `rows` windows of `steps` steps, `inputs`
   * `[rows, steps, inputSize]` row-major, from a zero initial state.
   */
  predict(inputs: Float32Array, rows: number, steps: number): Float32Array {
    if (!this.#memory) throw new Error('this LSTM kernel was released');
    if (inputs.length !== rows * steps * this.inputSize) throw new RangeError(`inputs hold ${inputs.length} values, not ${rows} × ${steps} × ${this.inputSize}`);
    const outputs = new Float32Array(rows * this.outputSize);
    if (rows === 0) return outputs;
    this.#reserveRows(rows);
    const heap = this.#heap;
    for (const layer of this.#layers) {
      heap.fill(0, layer.xh / FLOAT, layer.xh / FLOAT + rows * layer.n);
      heap.fill(0, layer.c / FLOAT, layer.c / FLOAT + rows * layer.paddedUnits);
    }
    const first = this.#layers[0]!;
    const inputSize = this.inputSize;
    const pairs = rows - (rows % 2);
    for (let t = 0; t < steps; t++) {
      for (let r = 0; r < rows; r++) {
        const from = (r * steps + t) * inputSize;
        const to = first.xh / FLOAT + r * first.n;
        for (let k = 0; k < inputSize; k++) heap[to + k] = inputs[from + k]!;
      }
      this.#layers.forEach((layer, l) => {
        const { w, bias, xh, z, c, n, panels, paddedInput, paddedUnits } = layer;
        const zStride = panels * PANEL_COLUMNS * FLOAT;
        if (pairs > 0) this.#kernels.project2(w, bias, xh, z, n, panels, pairs);
        if (pairs < rows) this.#kernels.project1(w, bias, xh + pairs * n * FLOAT, z + pairs * zStride, n, panels, 1);
        const next = this.#layers[l + 1];
        // h goes to this layer's recurrent input and to the next layer's input (the last layer: its own, twice).
        const ownH = xh + paddedInput * FLOAT;
        const gates = layer.weights.recurrentActivation === 'sigmoid' ? this.#kernels.gatesSigmoid : this.#kernels.gatesHardSigmoid;
        gates(z, c, ownH, n * FLOAT, next ? next.xh : ownH, (next ? next.n : n) * FLOAT, paddedUnits, rows);
      });
    }
    const last = this.#layers.at(-1)!;
    const { units, inputSize: hidden, kernel, bias } = this.#head;
    for (let r = 0; r < rows; r++) {
      const h = last.xh / FLOAT + r * last.n + last.paddedInput;
      for (let j = 0; j < units; j++) {
        let sum = 0;
        for (let m = 0; m < hidden; m++) sum += heap[h + m]! * kernel[m * units + j]!;
        outputs[r * units + j] = sum + bias[j]!;
      }
    }
    return outputs;
  }

  /** Drops the kernel's memory; `predict` throws afterwards. Idempotent. */
  release(): void {
    this.#memory = null;
    this.#heap = new Float32Array(0);
    this.#rowCapacity = 0;
  }

  /** Lays the workspace out for `rows` windows after the weights, growing the memory when needed. */
  #reserveRows(rows: number): void {
    if (rows <= this.#rowCapacity) return;
    const capacity = Math.max(rows, 2 * this.#rowCapacity);
    let offset = this.#weightBytes;
    const take = (floats: number) => {
      const at = offset;
      offset += roundUp(floats * FLOAT, 16);
      return at;
    };
    for (const layer of this.#layers) {
      layer.xh = take(capacity * layer.n);
      layer.z = take(capacity * 4 * layer.paddedUnits);
      layer.c = take(capacity * layer.paddedUnits);
    }
    const memory = this.#memory!;
    if (offset > memory.buffer.byteLength) memory.grow(Math.ceil((offset - memory.buffer.byteLength) / PAGE));
    this.#heap = new Float32Array(memory.buffer);
    this.#rowCapacity = capacity;
  }

  /**
   * Packs a layer's kernel and recurrent kernel into `[panels][n][16]` (row k < inputSize: input
   * weights; row paddedInput + k: recurrent weights of unit k) and its bias into `[4 · paddedUnits]`;
   * gate g of unit m goes to column g · paddedUnits + m. Padding stays zero.
   */
  #packWeights(layer: LayerPlan): void {
    const { weights, paddedInput, paddedUnits, n, w, bias } = layer;
    const { inputSize, units } = weights;
    const heap = this.#heap;
    const columnOf = (j: number) => Math.floor(j / units) * paddedUnits + (j % units);
    const put = (row: number, j: number, value: number) => {
      const column = columnOf(j);
      heap[w / FLOAT + (Math.floor(column / PANEL_COLUMNS) * n + row) * PANEL_COLUMNS + (column % PANEL_COLUMNS)] = value;
    };
    for (let j = 0; j < 4 * units; j++) {
      for (let k = 0; k < inputSize; k++) put(k, j, weights.kernel[k * 4 * units + j]!);
      for (let k = 0; k < units; k++) put(paddedInput + k, j, weights.recurrentKernel[k * 4 * units + j]!);
      heap[bias / FLOAT + columnOf(j)] = weights.bias[j]!;
    }
  }
}
