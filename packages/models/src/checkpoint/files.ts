import { ModelError } from '../errors.ts';
import { writeJson, type ArtifactIO } from '../io.ts';

/** Where a training run stands, in every family: enough to go on from the next batch. */
export interface TrainingPosition {
  /** Optimizer steps done. */
  step: number;
  /** 0-based epoch in progress (= epochs finished when `batchInEpoch` is 0). */
  epoch: number;
  /** Batches of `epoch` done. */
  batchInEpoch: number;
}

/** The fields every family's `checkpoint.json` has; the rest is the family's own. */
export interface CheckpointHeader {
  /** `mlq-<family>-checkpoint`. */
  format: string;
  formatVersion: number;
  position: TrainingPosition;
  createdAt: string;
}

/**
 * Writes a checkpoint's files: the network (and whatever else `writeModel` writes), `optimizer.bin`
 * (the optimizer's slots back to back, float32 little-endian) and `checkpoint.json`, written last:
 * a checkpoint without it is incomplete and is refused.
 */
export async function writeCheckpointFiles(io: ArtifactIO, parts: { writeModel: () => Promise<void>; slots: readonly Float32Array[]; state: CheckpointHeader }): Promise<void> {
  await parts.writeModel();
  const bytes = new Uint8Array(parts.slots.reduce((sum, slot) => sum + slot.byteLength, 0));
  let offset = 0;
  for (const slot of parts.slots) {
    bytes.set(new Uint8Array(slot.buffer, slot.byteOffset, slot.byteLength), offset);
    offset += slot.byteLength;
  }
  await io.write('optimizer.bin', bytes);
  await writeJson(io, 'checkpoint.json', parts.state);
}

/** Reads `checkpoint.json` of any family: its format and position, without loading weights. */
export async function readCheckpointHeader(io: ArtifactIO): Promise<CheckpointHeader> {
  let state: Partial<CheckpointHeader> | null;
  try {
    state = JSON.parse(new TextDecoder().decode(await io.read('checkpoint.json'))) as Partial<CheckpointHeader> | null;
  } catch (error) {
    throw new ModelError(`checkpoint.json cannot be read: ${(error as Error).message}`);
  }
  const position = state?.position;
  if (typeof state?.format !== 'string' || !state.format.endsWith('-checkpoint') || typeof state.formatVersion !== 'number') {
    throw new ModelError(`checkpoint.json is not a training checkpoint (format ${String(state?.format)})`);
  }
  if (!position || ![position.step, position.epoch, position.batchInEpoch].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new ModelError('checkpoint.json lacks a position (step, epoch, batchInEpoch)');
  }
  return state as CheckpointHeader;
}

/**
 * Reads `checkpoint.json` and checks it is of `format` at `version` and has the `required` fields;
 * the caller checks the rest against what it trains.
 */
export async function readCheckpointState<S extends CheckpointHeader>(io: ArtifactIO, format: S['format'], version: number, required: ReadonlyArray<keyof S>): Promise<S> {
  const state = (await readCheckpointHeader(io)) as Partial<S>;
  if (state.format !== format) throw new ModelError(`checkpoint.json is a ${String(state.format)}, not a ${format}`);
  if (state.formatVersion !== version) throw new ModelError(`${format} format version ${String(state.formatVersion)} is not supported (this library reads ${version})`);
  const missing = required.filter((field) => state[field] === undefined || state[field] === null);
  if (missing.length > 0) throw new ModelError(`checkpoint.json lacks ${missing.join(', ')}`);
  return state as S;
}

/** Reads `optimizer.bin` as float32 slots of the given sizes (in values); refuses a file of another length. */
export async function readOptimizerSlots(io: ArtifactIO, sizes: readonly number[]): Promise<Float32Array[]> {
  const bytes = await io.read('optimizer.bin');
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 4) throw new ModelError(`optimizer.bin has ${bytes.byteLength} bytes; the network's optimizer state takes ${total * 4}`);
  const floats = new Float32Array(bytes.slice().buffer);
  const slots: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    slots.push(floats.slice(offset, offset + size));
    offset += size;
  }
  return slots;
}

/** Length and FNV-1a hash of what a run trains on: a resumed run must be given the same data. */
export interface DataFingerprint {
  length: number;
  fnv1a: string;
}

/** Fingerprint of a text's UTF-16 code units. */
export function fingerprintText(text: string): DataFingerprint {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return { length: text.length, fnv1a: (hash >>> 0).toString(16).padStart(8, '0') };
}

/** Fingerprint of numbers (as float64 bytes): `length` is their count. */
export function fingerprintNumbers(values: readonly number[]): DataFingerprint {
  const bytes = new Uint8Array(Float64Array.from(values).buffer);
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return { length: values.length, fnv1a: (hash >>> 0).toString(16).padStart(8, '0') };
}

export function sameFingerprint(a: DataFingerprint, b: DataFingerprint): boolean {
  return a.length === b.length && a.fnv1a === b.fnv1a;
}
