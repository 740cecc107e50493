/**
 * Just enough of a WebAssembly binary writer to write small numeric kernels in TypeScript: one
 * imported memory (`env.memory`), exported functions of i32 parameters and no results, and the
 * instructions those kernels use (i32 address arithmetic, f32 loads, 128-bit SIMD arithmetic,
 * structured loops). Instructions are byte arrays, concatenated in stack order.
 */

/** Value types of the binary format. */
export const ValueType = { i32: 0x7f, f32: 0x7d, v128: 0x7b } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** Instruction bytes; a function body is the concatenation of its instructions. */
export type Code = number[];

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 (i32 immediates). */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const f32Bytes = (value: number) => [...new Uint8Array(Float32Array.of(value).buffer)];
const memarg = (alignLog2: number, offset: number) => [...uleb(alignLog2), ...uleb(offset)];
const simd = (opcode: number) => [0xfd, ...uleb(opcode)];

/** The instructions the kernels use, by their text-format names (`i32.add` → `i32Add`). */
export const op = {
  localGet: (index: number): Code => [0x20, ...uleb(index)],
  localSet: (index: number): Code => [0x21, ...uleb(index)],
  i32Const: (value: number): Code => [0x41, ...sleb(value)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32LtU: [0x49],
  i32LeU: [0x4d],
  i32Eqz: [0x45],
  /** Loads an f32 from `address + offset` (address on the stack). */
  f32Load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
  v128Load: (offset = 0): Code => [...simd(0x00), ...memarg(4, offset)],
  /** Stores the top v128 at the address under it, plus `offset`. */
  v128Store: (offset = 0): Code => [...simd(0x0b), ...memarg(4, offset)],
  /** Four lanes of one f32 constant. */
  f32x4Const: (value: number): Code => [...simd(0x0c), ...f32Bytes(value), ...f32Bytes(value), ...f32Bytes(value), ...f32Bytes(value)],
  /** Four lanes of one i32 constant. */
  i32x4Const: (value: number): Code => [...simd(0x0c), ...[0, 1, 2, 3].flatMap(() => [...new Uint8Array(Int32Array.of(value).buffer)])],
  f32x4Splat: simd(0x13),
  v128And: simd(0x4e),
  v128Or: simd(0x50),
  /** `v128.bitselect a b mask`: bits of `a` where `mask` is set, else of `b`. */
  v128Bitselect: simd(0x52),
  f32x4Lt: simd(0x43),
  f32x4Nearest: simd(0x6a),
  i32x4Shl: simd(0xab),
  i32x4Add: simd(0xae),
  f32x4Abs: simd(0xe0),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  i32x4TruncSatF32x4S: simd(0xf8),
  block: (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
};

/**
 * One exported function under construction: named i32 parameters, then locals added as the
 * body needs them.
 */
export class FunctionBuilder<P extends string> {
  readonly #params: Record<P, number>;
  readonly #paramCount: number;
  readonly #locals: ValueType[] = [];

  constructor(
    readonly name: string,
    params: readonly P[],
  ) {
    this.#params = Object.fromEntries(params.map((p, i) => [p, i])) as Record<P, number>;
    this.#paramCount = params.length;
  }

  /** The index of parameter `name`. */
  param(name: P): number {
    return this.#params[name];
  }

  /** A new local of `type`; returns its index. */
  local(type: ValueType): number {
    this.#locals.push(type);
    return this.#paramCount + this.#locals.length - 1;
  }

  /** `for (counter = from; counter < limit; counter += step) body`, all i32 (`limit` re-evaluated each pass). */
  forRange(counter: number, from: Code, limit: Code, step: Code, ...body: Code[]): Code {
    return [
      ...from,
      ...op.localSet(counter),
      ...op.block(op.loop(op.localGet(counter), limit, op.i32LtU, op.i32Eqz, op.brIf(1), ...body, op.localGet(counter), step, op.i32Add, op.localSet(counter), op.br(0))),
    ];
  }

  /** The function's type (i32 parameters, no results) and its body as the code section holds it. */
  encode(body: Code[]): { paramCount: number; code: number[] } {
    const groups = this.#locals.map((type) => [...uleb(1), type]);
    const code = [...uleb(groups.length), ...groups.flat(), ...body.flat(), 0x0b];
    return { paramCount: this.#paramCount, code: [...uleb(code.length), ...code] };
  }
}

const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => vector([...text].map((c) => [c.charCodeAt(0)]));

/**
 * A module that imports its memory as `env.memory` and exports `functions` by name (each with
 * its own type: `paramCount` i32 parameters, no results).
 */
export function encodeModule(functions: ReadonlyArray<{ name: string; paramCount: number; code: number[] }>): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(Array.from({ length: f.paramCount }, () => [ValueType.i32])), 0]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.code))),
  ]);
}
