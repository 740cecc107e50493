import type { RecurrentActivation } from './activations.ts';
import { encodeModule, FunctionBuilder, op, ValueType, type Code } from './wasm-assembler.ts';

/**
 * The two halves of an LSTM inference step as 128-bit SIMD WebAssembly, float32 throughout (as
 * tfjs computes). Addresses and strides are byte offsets into the instance's memory; every
 * buffer is 16-byte aligned and a whole number of 4-float vectors long.
 *
 * - `project1(w, bias, x, z, n, panels, rows)` and `project2` (rows in pairs, each weight load
 *   serving two windows): `z[r] = bias + x[r] · W` for `rows` rows of `x` (`n` floats each) and
 *   `16 · panels` columns. `W` is packed in panels of 16 columns, `[panels][n][16]`, so the
 *   inner loop reads weights sequentially.
 * - `gatesHardSigmoid(z, c, hA, hAStride, hB, hBStride, units, rows)` and `gatesSigmoid`: from
 *   `z[r]` = the four gate blocks `[i | f | g | o]` of `units` each, `c ← f·c + i·tanh(g)` and
 *   `h = o·tanh(c)`, with the gates' activation; `h` is written to two places (the layer's own
 *   recurrent input, the next layer's input).
 */
export interface LstmWasmKernels {
  project1(w: number, bias: number, x: number, z: number, n: number, panels: number, rows: number): void;
  project2(w: number, bias: number, x: number, z: number, n: number, panels: number, rows: number): void;
  gatesHardSigmoid(z: number, c: number, hA: number, hAStride: number, hB: number, hBStride: number, units: number, rows: number): void;
  gatesSigmoid(z: number, c: number, hA: number, hAStride: number, hB: number, hBStride: number, units: number, rows: number): void;
}

/** Columns per weight panel: four 4-lane vectors of accumulators per row. */
export const PANEL_COLUMNS = 16;

const projectParams = ['w', 'bias', 'x', 'z', 'n', 'panels', 'rows'] as const;

/**
 * `project1` or `project2`: `tile` rows share each weight load. Panels are the outer loop, so a
 * panel's weights (`n` × 64 bytes) stay in the L1 cache while every row passes over them.
 */
function createProject(tile: 1 | 2) {
  const f = new FunctionBuilder(`project${tile}`, projectParams);
  const i32 = () => f.local(ValueType.i32);
  const [r, p, xStride, zStride, wPanel, bPanel, zp, wp, xp, xEnd] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const acc = Array.from({ length: tile }, () => Array.from({ length: 4 }, () => f.local(ValueType.v128)));
  const v = Array.from({ length: tile }, () => f.local(ValueType.v128));
  const w = f.local(ValueType.v128);
  const get = op.localGet;
  const set = op.localSet;
  const addTo = (local: number, amount: Code) => [...get(local), ...amount, ...op.i32Add, ...set(local)];
  const rowOffset = (j: number, stride: number): Code => (j === 0 ? [] : [...get(stride), ...op.i32Add]);

  const innerStep = [
    // v[j] = x[row j][k], broadcast to four lanes
    ...v.flatMap((vj, j) => [...get(xp), ...rowOffset(j, xStride), ...op.f32Load(), ...op.f32x4Splat, ...set(vj)]),
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(wp),
      ...op.v128Load(16 * q),
      ...set(w),
      ...acc.flatMap((row, j) => [...get(row[q]!), ...get(v[j]!), ...get(w), ...op.f32x4Mul, ...op.f32x4Add, ...set(row[q]!)]),
    ]),
    ...addTo(wp, op.i32Const(64)),
  ];
  const rowGroup = [
    // xp from x + r·xStride to the row's end; zp = z + r·zStride + p·64; acc = the panel's bias.
    ...[...get(f.param('x')), ...get(r), ...get(xStride), ...op.i32Mul, ...op.i32Add, ...set(xp)],
    ...[...get(xp), ...get(xStride), ...op.i32Add, ...set(xEnd)],
    ...[...get(f.param('z')), ...get(r), ...get(zStride), ...op.i32Mul, ...op.i32Add, ...get(p), ...op.i32Const(6), ...op.i32Shl, ...op.i32Add, ...set(zp)],
    ...acc.flatMap((row) => row.flatMap((a, q) => [...get(bPanel), ...op.v128Load(16 * q), ...set(a)])),
    ...[...get(wPanel), ...set(wp)],
    ...f.forRange(xp, get(xp), get(xEnd), op.i32Const(4), innerStep),
    ...acc.flatMap((row, j) => row.flatMap((a, q) => [...get(zp), ...rowOffset(j, zStride), ...get(a), ...op.v128Store(16 * q)])),
  ];
  const panel = [
    ...[...get(f.param('w')), ...get(p), ...get(f.param('n')), ...op.i32Mul, ...op.i32Const(6), ...op.i32Shl, ...op.i32Add, ...set(wPanel)],
    ...[...get(f.param('bias')), ...get(p), ...op.i32Const(6), ...op.i32Shl, ...op.i32Add, ...set(bPanel)],
    ...f.forRange(r, op.i32Const(0), get(f.param('rows')), op.i32Const(tile), rowGroup),
  ];
  return f.encode([
    [...get(f.param('n')), ...op.i32Const(2), ...op.i32Shl, ...set(xStride)],
    [...get(f.param('panels')), ...op.i32Const(6), ...op.i32Shl, ...set(zStride)],
    f.forRange(p, op.i32Const(0), get(f.param('panels')), op.i32Const(1), panel),
  ]);
}

/** Cephes' expf: exact range reduction by ln 2 in two parts, a degree-6 polynomial, 2ⁿ from the exponent bits. */
const EXP_POLYNOMIAL = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
const LN2_HIGH = 0.693359375;
const LN2_LOW = -2.1219444e-4;
/** ln of the smallest normal float32: below it 2ⁿ would not be representable. */
const EXP_MIN_ARGUMENT = -87.33654;

/**
 * Code computing exp(x) = 2ⁿ · (1 + q), for `x ≤ 0` in local `x`, into locals `q` (r + r²·P(r),
 * |r| ≤ ln 2 / 2) and `scale` (2ⁿ); kept apart so that expm1 = 2ⁿ·q + (2ⁿ − 1) keeps its
 * relative accuracy near 0 (there n = 0 and it is q itself). Float32, within 2 ulp; below −87.3
 * (exp ≈ 1.2e−38, the smallest normal float) x is clamped there.
 */
function expParts(f: FunctionBuilder<string>, x: number): { code: Code; q: number; scale: number } {
  const [t, n, r, q, scale] = [f.local(ValueType.v128), f.local(ValueType.v128), f.local(ValueType.v128), f.local(ValueType.v128), f.local(ValueType.v128)];
  const get = op.localGet;
  const c = op.f32x4Const;
  const code = [
    ...[...get(x), ...c(EXP_MIN_ARGUMENT), ...op.f32x4Max, ...op.localSet(t)],
    ...[...get(t), ...c(Math.LOG2E), ...op.f32x4Mul, ...op.f32x4Nearest, ...op.localSet(n)],
    ...[...get(t), ...get(n), ...c(LN2_HIGH), ...op.f32x4Mul, ...op.f32x4Sub, ...get(n), ...c(LN2_LOW), ...op.f32x4Mul, ...op.f32x4Sub, ...op.localSet(r)],
    ...c(EXP_POLYNOMIAL[0]!),
    ...EXP_POLYNOMIAL.slice(1).flatMap((coefficient) => [...get(r), ...op.f32x4Mul, ...c(coefficient), ...op.f32x4Add]),
    ...[...get(r), ...get(r), ...op.f32x4Mul, ...op.f32x4Mul, ...get(r), ...op.f32x4Add, ...op.localSet(q)],
    // 2ⁿ: n + 127 in the exponent field.
    ...[...get(n), ...op.i32x4TruncSatF32x4S, ...op.i32x4Const(127), ...op.i32x4Add, ...op.i32Const(23), ...op.i32x4Shl, ...op.localSet(scale)],
  ];
  return { code, q, scale };
}

/**
 * Code leaving `tanh(x)` of local `x` on the stack: sign(x) · −m/(2 + m), m = expm1(−2|x|);
 * within a few ulp, relative accuracy near 0 included.
 */
function tanh(f: FunctionBuilder<string>, x: number): Code {
  const [a, m] = [f.local(ValueType.v128), f.local(ValueType.v128)];
  const get = op.localGet;
  const exp = expParts(f, a);
  return [
    ...[...get(x), ...op.f32x4Abs, ...op.f32x4Const(-2), ...op.f32x4Mul, ...op.localSet(a)],
    ...exp.code,
    ...[...get(exp.q), ...get(exp.scale), ...op.f32x4Mul, ...get(exp.scale), ...op.f32x4Const(1), ...op.f32x4Sub, ...op.f32x4Add, ...op.localSet(m)],
    ...[...op.f32x4Const(0), ...get(m), ...op.f32x4Sub, ...get(m), ...op.f32x4Const(2), ...op.f32x4Add, ...op.f32x4Div],
    ...[...get(x), ...op.i32x4Const(-0x80000000), ...op.v128And, ...op.v128Or],
  ];
}

/** Code leaving σ(x) of local `x` on the stack: with e = exp(−|x|), 1/(1 + e) for x ≥ 0 and e/(1 + e) below (no overflow, relative accuracy in both tails). */
function sigmoid(f: FunctionBuilder<string>, x: number): Code {
  const [a, e, p] = [f.local(ValueType.v128), f.local(ValueType.v128), f.local(ValueType.v128)];
  const get = op.localGet;
  const exp = expParts(f, a);
  return [
    ...[...get(x), ...op.f32x4Abs, ...op.f32x4Const(-1), ...op.f32x4Mul, ...op.localSet(a)],
    ...exp.code,
    ...[...get(exp.q), ...op.f32x4Const(1), ...op.f32x4Add, ...get(exp.scale), ...op.f32x4Mul, ...op.localSet(e)],
    ...[...op.f32x4Const(1), ...op.f32x4Const(1), ...get(e), ...op.f32x4Add, ...op.f32x4Div, ...op.localSet(p)],
    ...[...get(e), ...get(p), ...op.f32x4Mul, ...get(p), ...get(x), ...op.f32x4Const(0), ...op.f32x4Lt, ...op.v128Bitselect],
  ];
}

/** tfjs-layers' hardSigmoid, clip(0.2·x + 0.5, 0, 1), in float32 as it computes it. */
function hardSigmoid(_f: FunctionBuilder<string>, x: number): Code {
  return [...op.localGet(x), ...op.f32x4Const(0.2), ...op.f32x4Mul, ...op.f32x4Const(0.5), ...op.f32x4Add, ...op.f32x4Const(0), ...op.f32x4Max, ...op.f32x4Const(1), ...op.f32x4Min];
}

const gateParams = ['z', 'c', 'hA', 'hAStride', 'hB', 'hBStride', 'units', 'rows'] as const;

function createGates(activation: RecurrentActivation) {
  const f = new FunctionBuilder(activation === 'sigmoid' ? 'gatesSigmoid' : 'gatesHardSigmoid', gateParams);
  const gate = activation === 'sigmoid' ? sigmoid : hardSigmoid;
  const i32 = () => f.local(ValueType.i32);
  const v128 = () => f.local(ValueType.v128);
  const [r, m, block, zp, cp, ha, hb, q] = [i32(), i32(), i32(), i32(), i32(), i32(), i32(), i32()];
  const [zi, zf, zg, zo, i, fg, g, o, c, h] = [v128(), v128(), v128(), v128(), v128(), v128(), v128(), v128(), v128(), v128()];
  const get = op.localGet;
  const set = op.localSet;
  const rowStart = (base: Code, stride: Code, target: number) => [...base, ...get(r), ...stride, ...op.i32Mul, ...op.i32Add, ...set(target)];
  const loadGate = (k: number, target: number) => [...get(q), ...(k === 0 ? [] : [...get(block), ...op.i32Const(k), ...op.i32Mul, ...op.i32Add]), ...op.v128Load(), ...set(target)];
  const unit = [
    ...[...get(zp), ...get(m), ...op.i32Add, ...set(q)],
    ...loadGate(0, zi),
    ...loadGate(1, zf),
    ...loadGate(2, zg),
    ...loadGate(3, zo),
    ...gate(f, zi),
    ...set(i),
    ...gate(f, zf),
    ...set(fg),
    ...tanh(f, zg),
    ...set(g),
    ...gate(f, zo),
    ...set(o),
    // c = f·c + i·g
    ...[...get(fg), ...get(cp), ...get(m), ...op.i32Add, ...op.v128Load(), ...op.f32x4Mul, ...get(i), ...get(g), ...op.f32x4Mul, ...op.f32x4Add, ...set(c)],
    ...[...get(cp), ...get(m), ...op.i32Add, ...get(c), ...op.v128Store()],
    ...[...get(o), ...tanh(f, c), ...op.f32x4Mul, ...set(h)],
    ...[...get(ha), ...get(m), ...op.i32Add, ...get(h), ...op.v128Store()],
    ...[...get(hb), ...get(m), ...op.i32Add, ...get(h), ...op.v128Store()],
  ];
  const row = [
    ...rowStart(get(f.param('z')), [...get(block), ...op.i32Const(4), ...op.i32Mul], zp),
    ...rowStart(get(f.param('c')), get(block), cp),
    ...rowStart(get(f.param('hA')), get(f.param('hAStride')), ha),
    ...rowStart(get(f.param('hB')), get(f.param('hBStride')), hb),
    ...f.forRange(m, op.i32Const(0), get(block), op.i32Const(16), unit),
  ];
  return f.encode([
    // A gate block is `units` floats.
    [...get(f.param('units')), ...op.i32Const(2), ...op.i32Shl, ...set(block)],
    f.forRange(r, op.i32Const(0), get(f.param('rows')), op.i32Const(1), row),
  ]);
}

/** The slice of the WebAssembly JS API used here (the project's TypeScript libs leave it out: no DOM). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => KernelMemory;
}

/** A WebAssembly memory: `buffer` is replaced (the old one detached) when it grows. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` of 64 KiB. */
  grow(pages: number): number;
}

const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;

/** The kernels' module, compiled once per process; null where the runtime lacks WebAssembly SIMD. */
function compileKernels(): object | null {
  if (compiled !== undefined) return compiled;
  const bytes = encodeModule([
    { name: 'project1', ...createProject(1) },
    { name: 'project2', ...createProject(2) },
    { name: 'gatesHardSigmoid', ...createGates('hardSigmoid') },
    { name: 'gatesSigmoid', ...createGates('sigmoid') },
  ]);
  compiled = webAssembly?.validate(bytes) ? new webAssembly.Module(bytes) : null;
  return compiled;
}

/** Whether this runtime runs the kernels (WebAssembly with 128-bit SIMD: Node ≥ 16.4). */
export function lstmWasmKernelsSupported(): boolean {
  return compileKernels() !== null;
}

/** A memory of `pages` × 64 KiB and the kernels over it (an instance of its own; the module is shared). Throws where unsupported. */
export function instantiateLstmKernels(pages: number): { memory: KernelMemory; kernels: LstmWasmKernels } {
  const module = compileKernels();
  if (!module || !webAssembly) throw new Error('this runtime has no WebAssembly SIMD');
  const memory = new webAssembly.Memory({ initial: pages });
  return { memory, kernels: new webAssembly.Instance(module, { env: { memory } }).exports as LstmWasmKernels };
}
