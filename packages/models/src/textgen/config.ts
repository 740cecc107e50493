import { ModelConfigError } from '../errors.ts';

/** Hyperparameters of a character-level text generator. */
export interface TextGenParams {
  /** Recurrent cell of every layer. */
  cell: 'lstm' | 'gru';
  /** Stacked recurrent layers, 1–3. */
  layers: number;
  /** Units of each recurrent layer. */
  units: number;
  /** Characters per training window; the network predicts the next character at each of them. */
  seqLength: number;
  /**
   * Characters between the starts of consecutive training windows, ≤ seqLength. When omitted it is
   * `seqLength` (whatever the preset says): every character is a target once per epoch.
   */
  step: number;
  /** Dropout rate on the outputs of each recurrent layer while training, in [0, 0.9). */
  dropout: number;
  /** Windows per optimizer step. */
  batchSize: number;
  /** Passes over the training windows. */
  epochs: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Share of the text, taken from its end, held out for the validation loss, in [0, 0.5]. */
  validationSplit: number;
  /** Optimizer steps between checkpoints (0: at epoch ends only). */
  checkpointEverySteps: number;
}

/** Inclusive bounds of a numeric parameter (`min`/`max` exclusive when flagged). */
export type TextGenBound = { min: number; max: number; integer: boolean; exclusiveMin?: boolean; exclusiveMax?: boolean };

type NumericParam = Exclude<keyof TextGenParams, 'cell'>;

/** Accepted values of `cell`. */
export const textGenCells = ['lstm', 'gru'] as const;

/** Bounds of every numeric parameter. */
export const textGenBounds: Readonly<Record<NumericParam, TextGenBound>> = {
  layers: { min: 1, max: 3, integer: true },
  units: { min: 4, max: 1024, integer: true },
  seqLength: { min: 2, max: 200, integer: true },
  step: { min: 1, max: 200, integer: true },
  dropout: { min: 0, max: 0.9, integer: false, exclusiveMax: true },
  batchSize: { min: 1, max: 1024, integer: true },
  epochs: { min: 1, max: 1000, integer: true },
  learningRate: { min: 0, max: 1, integer: false, exclusiveMin: true },
  validationSplit: { min: 0, max: 0.5, integer: false },
  checkpointEverySteps: { min: 0, max: 1_000_000, integer: true },
};

/**
 * Named starting points:
 * - `talk`: the talk's network, 3 stacked GRU layers of 512 units over 30-character windows,
 *   batch 200, Adam, dropout 0.2 (keep 0.8). Meant for tfjs-node or a GPU: on the wasm backend
 *   (one thread) a step takes about 10 s with the fast GRU (src/recurrent; 110 s with tfjs-layers'
 *   own), some 30 minutes per epoch of tiny Shakespeare.
 * - `default`: sized for a 2-core CPU on the wasm backend. One GRU layer of 128 units, batch 32,
 *   60-character windows: about 0.2 s per step there with the fast GRU (0.5 s with tfjs-layers'
 *   own), 2 minutes per epoch of tiny Shakespeare (552 steps), after which validation reaches
 *   about 2.7 bits per character (unigram entropy: 4.8).
 */
export const textGenPresets = {
  default: {
    cell: 'gru',
    layers: 1,
    units: 128,
    seqLength: 60,
    step: 60,
    dropout: 0,
    batchSize: 32,
    epochs: 5,
    learningRate: 0.005,
    validationSplit: 0.05,
    checkpointEverySteps: 200,
  },
  talk: {
    cell: 'gru',
    layers: 3,
    units: 512,
    seqLength: 30,
    step: 30,
    dropout: 0.2,
    batchSize: 200,
    epochs: 10,
    learningRate: 0.001,
    validationSplit: 0.05,
    checkpointEverySteps: 500,
  },
} as const satisfies Record<string, TextGenParams>;

export type TextGenPresetName = keyof typeof textGenPresets;

/** Bounds of `generate()`'s options. */
export const generationBounds = {
  /** Characters to generate. */
  length: { min: 1, max: 2000, integer: true },
  /** Softmax temperature: below 1 sharper, above 1 flatter. */
  temperature: { min: 0, max: 2, integer: false, exclusiveMin: true },
  /** Sample among the k most likely characters; values above the vocabulary size mean all of them. */
  topK: { min: 1, max: 1_000_000, integer: true },
  /** Characters of seed text (code points). */
  seedText: { min: 1, max: 10_000, integer: true },
} as const satisfies Record<string, TextGenBound>;

/** Throws `ModelConfigError` naming `field` when `value` is not a number within `bound`. */
export function checkBound(field: string, value: unknown, bound: TextGenBound): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ModelConfigError(field, `must be a finite number, got ${String(value)}`);
  if (bound.integer && !Number.isInteger(value)) throw new ModelConfigError(field, `must be an integer, got ${value}`);
  if (bound.exclusiveMin ? value <= bound.min : value < bound.min) {
    throw new ModelConfigError(field, `must be ${bound.exclusiveMin ? '>' : '>='} ${bound.min}, got ${value}`);
  }
  if (bound.exclusiveMax ? value >= bound.max : value > bound.max) {
    throw new ModelConfigError(field, `must be ${bound.exclusiveMax ? '<' : '<='} ${bound.max}, got ${value}`);
  }
  return value;
}

/**
 * Fills the preset's values for omitted fields and checks every field; throws `ModelConfigError`
 * naming the field (`units must be <= 1024, got 2000`). Unknown fields are errors too.
 * @defaultValue preset `'default'`
 */
export function validateTextGenParams(params: Partial<TextGenParams> = {}, preset: TextGenPresetName = 'default'): TextGenParams {
  const base: TextGenParams | undefined = Object.hasOwn(textGenPresets, preset) ? textGenPresets[preset] : undefined;
  if (!base) throw new ModelConfigError('preset', `must be one of ${Object.keys(textGenPresets).join(', ')}, got ${String(preset)}`);
  for (const key of Object.keys(params)) {
    if (!(key in base)) throw new ModelConfigError(key, `is not a text generator parameter (known: ${Object.keys(base).join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
  const resolved = { ...base, ...defined } as TextGenParams;
  if (defined.step === undefined) resolved.step = resolved.seqLength;
  if (!textGenCells.includes(resolved.cell)) throw new ModelConfigError('cell', `must be one of ${textGenCells.join(', ')}, got ${String(resolved.cell)}`);
  for (const [field, bound] of Object.entries(textGenBounds)) checkBound(field, resolved[field as NumericParam], bound);
  // A window start that jumps past the previous window leaves characters no target ever covers.
  if (resolved.step > resolved.seqLength) throw new ModelConfigError('step', `must be <= seqLength (${resolved.seqLength}), got ${resolved.step}`);
  return resolved;
}
