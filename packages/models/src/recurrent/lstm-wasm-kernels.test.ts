import { describe, expect, it } from 'vitest';
import { createRandom } from '../samples/synthetic.ts';
import { instantiateLstmKernels, lstmWasmKernelsSupported, PANEL_COLUMNS } from './lstm-wasm-kernels.ts';

const FLOAT = 4;

/** Float32 views of a fresh kernel instance's memory, with a bump allocator of 16-byte-aligned float buffers. */
function setUp(pages = 16) {
  const { memory, kernels } = instantiateLstmKernels(pages);
  const heap = new Float32Array(memory.buffer);
  let next = 0;
  const allocate = (floats: number) => {
    const at = next;
    next += Math.ceil(floats / 4) * 16;
    return at;
  };
  return { kernels, heap, allocate };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Sample points: a sweep over ±30 with tiny and huge values, as float32. */
const samplePoints = [...Array.from({ length: 6001 }, (_, i) => -30 + i * 0.01), 1e-3, -1e-4, 3e-6, -2e-8, 0, 1e-30, 88, -88, 200, -200, 1e4, -1e4].map(Math.fround);

describe('LSTM WebAssembly kernels', () => {
  it('run in this Node (WebAssembly SIMD)', () => {
    expect(lstmWasmKernelsSupported()).toBe(true);
  });

  it('project rows onto panels of weights as a float64 matrix product does, one row or two at a time', () => {
    const { kernels, heap, allocate } = setUp();
    const random = createRandom(5);
    const n = 12;
    const panels = 3;
    const rows = 5;
    const columns = panels * PANEL_COLUMNS;
    const w = allocate(panels * n * PANEL_COLUMNS);
    const bias = allocate(columns);
    const x = allocate(rows * n);
    const z = allocate(rows * columns);
    for (let i = 0; i < panels * n * PANEL_COLUMNS + columns + rows * n; i++) heap[w / FLOAT + i] = random() * 2 - 1;
    // Weight of input k for column j, as packed: panel j / 16, row k, lane j % 16.
    const weight = (k: number, j: number) => heap[w / FLOAT + (Math.floor(j / PANEL_COLUMNS) * n + k) * PANEL_COLUMNS + (j % PANEL_COLUMNS)]!;
    kernels.project2(w, bias, x, z, n, panels, 4);
    kernels.project1(w, bias, x + 4 * n * FLOAT, z + 4 * columns * FLOAT, n, panels, 1);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < columns; j++) {
        let expected = heap[bias / FLOAT + j]!;
        for (let k = 0; k < n; k++) expected += heap[x / FLOAT + r * n + k]! * weight(k, j);
        expect(Math.abs(heap[z / FLOAT + r * columns + j]! - expected), `row ${r} column ${j}`).toBeLessThan(2e-6);
      }
    }
  });

  for (const activation of ['sigmoid', 'hardSigmoid'] as const) {
    it(`compute the LSTM cell with ${activation} gates: c = f·c + i·tanh(g), h = o·tanh(c), h written twice`, () => {
      const { kernels, heap, allocate } = setUp();
      const random = createRandom(activation.length);
      const units = 8;
      const rows = 3;
      const z = allocate(rows * 4 * units);
      const c = allocate(rows * units);
      // Two destinations with their own row strides (a layer's recurrent input and the next layer's input).
      const hA = allocate(rows * 12);
      const hB = allocate(rows * 20);
      for (let i = 0; i < rows * 4 * units; i++) heap[z / FLOAT + i] = (random() * 2 - 1) * 6;
      const cBefore = Array.from({ length: rows * units }, () => Math.fround((random() * 2 - 1) * 3));
      heap.set(cBefore, c / FLOAT);
      const gate = activation === 'sigmoid' ? sigmoid : (x: number) => Math.min(1, Math.max(0, 0.2 * x + 0.5));
      (activation === 'sigmoid' ? kernels.gatesSigmoid : kernels.gatesHardSigmoid)(z, c, hA, 12 * FLOAT, hB, 20 * FLOAT, units, rows);
      for (let r = 0; r < rows; r++) {
        for (let m = 0; m < units; m++) {
          const pre = (g: number) => heap[z / FLOAT + r * 4 * units + g * units + m]!;
          const cell = gate(pre(1)) * cBefore[r * units + m]! + gate(pre(0)) * Math.tanh(pre(2));
          const h = gate(pre(3)) * Math.tanh(cell);
          expect(Math.abs(heap[c / FLOAT + r * units + m]! - cell)).toBeLessThan(1e-6);
          expect(Math.abs(heap[hA / FLOAT + r * 12 + m]! - h)).toBeLessThan(1e-6);
          expect(heap[hB / FLOAT + r * 20 + m]).toBe(heap[hA / FLOAT + r * 12 + m]);
        }
      }
    });
  }

  it('compute tanh and the sigmoid within a few float32 ulp everywhere, tails and tiny values included', () => {
    const { kernels, heap, allocate } = setUp();
    const units = samplePoints.length + ((4 - (samplePoints.length % 4)) % 4);
    const z = allocate(4 * units);
    const c = allocate(units);
    const h = allocate(units);
    const run = (i: number, f: number, g: number, o: number) => {
      samplePoints.forEach((x, m) => {
        heap[z / FLOAT + m] = i === 0 ? x : i;
        heap[z / FLOAT + units + m] = f;
        heap[z / FLOAT + 2 * units + m] = g === 0 ? x : g;
        heap[z / FLOAT + 3 * units + m] = o;
      });
      heap.fill(0, c / FLOAT, c / FLOAT + units);
      kernels.gatesSigmoid(z, c, h, 0, h, 0, units, 1);
    };
    // Below the smallest normal float32 (σ(x < −87.3)), anything from 0 to that is right.
    const ulps = (actual: number, expected: number) =>
      Math.abs(expected) < 2 ** -126 ? (actual >= 0 && actual <= 2 ** -125 ? 0 : Infinity) : Math.abs(actual - expected) / (Math.abs(expected) * 2 ** -23);
    // i = σ(200) = 1, f irrelevant (c starts at 0): c = tanh(x).
    run(200, 0, 0, 0);
    let worstTanh = 0;
    samplePoints.forEach((x, m) => (worstTanh = Math.max(worstTanh, ulps(heap[c / FLOAT + m]!, Math.tanh(x)))));
    // g = tanh(200) = 1: c = σ(x).
    run(0, 0, 200, 0);
    let worstSigmoid = 0;
    samplePoints.forEach((x, m) => (worstSigmoid = Math.max(worstSigmoid, ulps(heap[c / FLOAT + m]!, sigmoid(x)))));
    expect(worstTanh).toBeLessThan(6);
    expect(worstSigmoid).toBeLessThan(6);
  });
});
