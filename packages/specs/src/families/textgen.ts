import { Type, type Static } from '@sinclair/typebox';
import { Id, ModelNameSchema, SeedSchema } from '../schema-parts.ts';
import { resolveParams, ModelConfigError } from '../params.ts';
import { assemble, definedOnly, FLOAT, recurrentLayerBytes, recurrentWeights, usableThreads, VALUES_PER_LOGIT, type MemoryEstimate } from '../memory.ts';

/**
 * Character-level text generation: params, presets, payloads, results and progress, and what a
 * corpus must hold. The API validates with these schemas; the model library resolves its params
 * with `resolveTextGenParams`, so the two cannot disagree.
 */

/** Hyperparameters of a character-level text generator, resolved. */
export interface TextGenSettings {
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

/** Accepted values of `cell`. */
export const textGenCells = ['gru', 'lstm'] as const;

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
  default: { cell: 'gru', layers: 1, units: 128, seqLength: 60, step: 60, dropout: 0, batchSize: 32, epochs: 5, learningRate: 0.005, validationSplit: 0.05, checkpointEverySteps: 200 },
  talk: { cell: 'gru', layers: 3, units: 512, seqLength: 30, step: 30, dropout: 0.2, batchSize: 200, epochs: 10, learningRate: 0.001, validationSplit: 0.05, checkpointEverySteps: 500 },
} as const satisfies Record<string, TextGenSettings>;

/** `Default 128 (talk: 512)`, or `Default 0.05` where the presets agree. */
function presetDefault(field: keyof TextGenSettings): string {
  const { default: base, talk } = textGenPresets;
  return base[field] === talk[field] ? `Default ${base[field]}` : `Default ${base[field]} (talk: ${talk[field]})`;
}

export const TextGenParamsSchema = Type.Partial(
  Type.Object({
    cell: Type.Union(
      textGenCells.map((cell) => Type.Literal(cell)),
      { description: `Recurrent cell of every layer. ${presetDefault('cell')}` },
    ),
    layers: Type.Integer({ minimum: 1, maximum: 3, description: `Stacked recurrent layers. ${presetDefault('layers')}` }),
    units: Type.Integer({ minimum: 4, maximum: 1024, description: `Units per layer. ${presetDefault('units')}` }),
    seqLength: Type.Integer({ minimum: 2, maximum: 200, description: `Characters per training window. ${presetDefault('seqLength')}` }),
    step: Type.Integer({ minimum: 1, maximum: 200, description: 'Characters between window starts, at most seqLength. Default seqLength' }),
    dropout: Type.Number({ minimum: 0, exclusiveMaximum: 0.9, description: `Dropout on each layer's outputs while training. ${presetDefault('dropout')}` }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, description: `Windows per optimizer step. ${presetDefault('batchSize')}` }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: `Passes over the text. ${presetDefault('epochs')}` }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: `Adam learning rate. ${presetDefault('learningRate')}` }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: `Share of the text, from its end, held out for validation. ${presetDefault('validationSplit')}` }),
    checkpointEverySteps: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: `Optimizer steps between checkpoints to the artifact store (0: at epoch ends only). ${presetDefault('checkpointEverySteps')}`,
    }),
  }),
  { additionalProperties: false, description: "Hyperparameters over the preset's; omitted ones take the preset's values" },
);
export type TextGenParams = Static<typeof TextGenParamsSchema>;

export type TextGenPresetName = keyof typeof textGenPresets;
export const textGenPresetNames = Object.keys(textGenPresets) as TextGenPresetName[];

export const TextGenTrainPayloadSchema = Type.Object(
  {
    kind: Type.Literal('textgen', { description: 'Model family: character-level text generation' }),
    dataset: Id('Text dataset id, e.g. `tinyshakespeare`, `moby-dick` or an uploaded one'),
    name: Type.Optional(ModelNameSchema('`<dataset>-textgen`')),
    preset: Type.Optional(
      Type.Union(
        textGenPresetNames.map((name) => Type.Literal(name)),
        { description: "`default`: sized for a 2-core CPU (GRU 1×128, seq 60, batch 32); `talk`: the talk's GRU 3×512, seq 30, batch 200 (for GPU workers)" },
      ),
    ),
    params: Type.Optional(TextGenParamsSchema),
    seed: Type.Optional(SeedSchema),
    sampleLength: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000, description: 'Characters sampled after each epoch and shown in progress. Default 200' })),
    sampleTemperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 2, description: 'Temperature of that sample. Default 0.5' })),
  },
  { additionalProperties: false },
);
export type TextGenTrainPayload = Static<typeof TextGenTrainPayloadSchema>;

export const TextEpochMetricsSchema = Type.Object({
  epoch: Type.Integer(),
  step: Type.Integer(),
  loss: Type.Number({ description: 'Training loss, nats per character' }),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  bitsPerChar: Type.Number(),
  valBitsPerChar: Type.Union([Type.Number(), Type.Null()]),
});

export const TextGenTrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('textgen'),
  architecture: Type.Union([Type.Literal('gru'), Type.Literal('lstm')]),
  metrics: Type.Object(
    {
      loss: Type.Union([Type.Number(), Type.Null()]),
      valLoss: Type.Union([Type.Number(), Type.Null()]),
      bitsPerChar: Type.Union([Type.Number(), Type.Null()]),
      valBitsPerChar: Type.Union([Type.Number(), Type.Null()]),
      unigramBitsPerChar: Type.Number({ description: 'Unigram entropy of the training text: what a model that ignores context scores' }),
    },
    { additionalProperties: true },
  ),
  epochs: Type.Integer(),
  steps: Type.Integer({ description: 'Optimizer steps of the whole run' }),
  resumedFromStep: Type.Union([Type.Integer(), Type.Null()], { description: 'Step of the checkpoint this attempt continued from; null when it started from scratch' }),
  sample: Type.String({ description: 'Text sampled after the last epoch' }),
  durationMs: Type.Number(),
  backend: Type.String(),
});
export type TextGenTrainResult = Static<typeof TextGenTrainResultSchema>;

/** Progress of a textgen training: step counts while an epoch runs, the last epoch's metrics and sample once one ended. */
export const TextGenProgressSchema = Type.Object({
  kind: Type.Literal('textgen'),
  epoch: Type.Integer({ description: '1-based epoch in progress (or just finished)' }),
  epochs: Type.Integer(),
  step: Type.Integer({ description: 'Optimizer steps done, counting on across a resume' }),
  steps: Type.Integer(),
  loss: Type.Number({ description: 'Loss of the latest batch, nats per character' }),
  bitsPerChar: Type.Number(),
  checkpointStep: Type.Union([Type.Integer(), Type.Null()], { description: 'Step of the newest checkpoint in the store' }),
  resumedFromStep: Type.Union([Type.Integer(), Type.Null()]),
  lastEpoch: Type.Union([Type.Intersect([TextEpochMetricsSchema, Type.Object({ sample: Type.String() })]), Type.Null()]),
  etaMs: Type.Optional(Type.Number()),
});
export type TextGenProgress = Static<typeof TextGenProgressSchema>;

/** Generation defaults: characters written, and the softmax temperature. */
export const generationDefaults = { length: 200, temperature: 1 } as const;

/** The fields of `POST /v1/predict` a textgen model takes. */
export const textGenPredictFields = {
  seedText: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'textgen (required): text the model reads before it writes' })),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: `textgen: characters to generate. Default ${generationDefaults.length}` })),
  temperature: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, maximum: 2, description: `textgen: softmax temperature; lower is more conservative. Default ${generationDefaults.temperature}` }),
  ),
  topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'textgen: sample among the k most likely characters only' })),
  randomSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'textgen: seeds the sampling; the same seed gives the same text. Default random' })),
  stream: Type.Optional(Type.Boolean({ description: 'textgen: publish characters as they are generated (set by `POST /v1/predict?stream=true`)' })),
};

export const TextGenPredictResultSchema = Type.Object({
  kind: Type.Literal('textgen'),
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  seedText: Type.String(),
  text: Type.String({ description: 'The generated characters (the seed text not included)' }),
  length: Type.Integer(),
  temperature: Type.Number(),
  topK: Type.Union([Type.Integer(), Type.Null()]),
  randomSeed: Type.Integer({ description: 'The seed that sampled it: send it again for the same text' }),
  unknownCharacters: Type.Integer({ description: "Seed characters outside the model's vocabulary (read as all-zero inputs)" }),
  cached: Type.Boolean(),
  backend: Type.String(),
});
export type TextGenPredictResult = Static<typeof TextGenPredictResultSchema>;

/**
 * Fills the preset's values for omitted fields and checks every field; throws `ModelConfigError`
 * naming the field (`units must be <= 1024, got 2000`). Unknown fields are errors too.
 * @defaultValue preset `'default'`
 */
export function resolveTextGenParams(params: Partial<TextGenSettings> | undefined = {}, preset: TextGenPresetName = 'default'): TextGenSettings {
  const base: TextGenSettings | undefined = Object.hasOwn(textGenPresets, preset) ? textGenPresets[preset] : undefined;
  if (!base) throw new ModelConfigError('preset', `must be one of ${textGenPresetNames.join(', ')}, got ${String(preset)}`);
  const resolved = resolveParams<TextGenSettings>(TextGenParamsSchema, base, params, 'text generator');
  if (params?.step === undefined) resolved.step = resolved.seqLength;
  // A window start that jumps past the previous window leaves characters no target ever covers.
  if (resolved.step > resolved.seqLength) throw new ModelConfigError('step', `must be <= seqLength (${resolved.seqLength}), got ${resolved.step}`);
  return resolved;
}

/**
 * Fewest characters a text needs for these textgen params: one window of `seqLength + 1` in the
 * training part and, when `validationSplit` > 0, one in the validation tail of
 * `floor(length · validationSplit)` characters (as the model library's `splitCorpus` splits).
 * Computed, not searched: a tiny split needs billions of characters, and a search that counts up
 * to them would hold the API's event loop for as long. Beyond 2^53 it answers Infinity (no text
 * is that long).
 */
export function requiredTextCharacters(params: { seqLength?: number | undefined; validationSplit?: number | undefined } | undefined, preset: TextGenPresetName = 'default'): number {
  const seqLength = params?.seqLength ?? textGenPresets[preset].seqLength;
  const split = params?.validationSplit ?? textGenPresets[preset].validationSplit;
  const window = seqLength + 1;
  if (split === 0) return window;
  const fits = (length: number) => {
    const validation = Math.floor(length * split);
    return length - validation >= window && validation >= window;
  };
  // floor(n·s) >= w  <=>  n >= w/s;  n - floor(n·s) >= w  <=>  n·(1 - s) > w - 1. Both hold from
  // the larger bound on, and fits() is monotone in n (s < 1), so the least n is that bound, give or
  // take the rounding of the divisions: a step or two, corrected below.
  const estimate = Math.max(window, Math.ceil(window / split), Math.floor((window - 1) / (1 - split)) + 1);
  if (!(estimate <= Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
  let needed = estimate;
  for (let step = 0; step < MAX_ROUNDING_STEPS && needed > window && fits(needed - 1); step++) needed--;
  for (let step = 0; step < MAX_ROUNDING_STEPS && !fits(needed); step++) needed++;
  return needed;
}

/** Corrections of a computed length for floating-point rounding: each division is off by less than one. */
const MAX_ROUNDING_STEPS = 4;

/** What a text generator's registry record holds besides every model's fields. */
export const textGenRecordFields = {
  architecture: textGenCells,
  fields: {
    preset: Type.String({ description: 'the preset trained from' }),
    vocabularySize: Type.Integer({ description: 'distinct characters' }),
  },
};

/** Dataset facts a text generator training's estimate needs. */
export interface TextGenTrainingFacts {
  kind: 'textgen';
  /** Characters in the corpus. */
  characters: number;
  /** Distinct characters (the vocabulary). */
  distinctCharacters: number;
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
  const p = { ...textGenPresets[shape.preset ?? 'default'], ...definedOnly(shape.params ?? {}) };
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
    drivers: [`batchSize ${p.batchSize}`, `seqLength ${p.seqLength}`, `units ${p.units}`, `layers ${p.layers}`, `vocabulary ${vocabulary}`],
  });
}

/** What a text generator reads its facts from: a dataset catalog (`@mlq/jobs`' `DatasetCatalog`). */
export interface TextSummaryReader {
  recordOf(dataset: string, kind: 'text'): Promise<{ summary: { characters: number; distinctCharacters: number } }>;
}

type TextGenPredictRequest = { [K in keyof typeof textGenPredictFields]?: unknown };

export const textGenFamily = {
  kind: 'textgen',
  title: 'text generation',
  datasetKind: 'text',
  record: textGenRecordFields,
  trainPayloadSchema: TextGenTrainPayloadSchema,
  trainResultSchema: TextGenTrainResultSchema,
  progressSchema: TextGenProgressSchema,
  predictFields: textGenPredictFields,
  predictResultSchema: TextGenPredictResultSchema,
  checkPredict(payload: TextGenPredictRequest): { field: string; message: string } | undefined {
    if (payload.seedText === undefined) return { field: 'seedText', message: 'seedText is required for a textgen model: the text it continues' };
    return undefined;
  },
  async readTrainingFacts(payload: { dataset: string }, catalog: TextSummaryReader): Promise<TextGenTrainingFacts> {
    const { summary } = await catalog.recordOf(payload.dataset, 'text');
    return { kind: 'textgen', characters: summary.characters, distinctCharacters: summary.distinctCharacters };
  },
  estimateTrainingMemory: (payload: TextGenTrainPayload, facts: TextGenTrainingFacts, threads: number): MemoryEstimate | undefined =>
    estimateTextGenTraining({ preset: payload.preset, params: payload.params, characters: facts.characters, distinctCharacters: facts.distinctCharacters }, threads),
} as const;
