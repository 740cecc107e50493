import { describe, expect, it } from 'vitest';
import {
  HorizonSchema,
  PRICE_DEFAULT_HORIZON,
  PRICE_DEFAULT_WINDOW,
  PRICE_LSTM_DEFAULTS,
  PRICE_MIN_LINEAR_POINTS,
  PRICE_MIN_TRAINING_WINDOWS,
  PredictPayloadSchema,
  PriceLstmParamsSchema,
  requiredTextCharacters,
  SEQ2SEQ_DEFAULT_EMBEDDING_SIZE,
  SEQ2SEQ_DEFAULTS,
  Seq2SeqParamsSchema,
  TEXTGEN_PRESETS,
  TextGenParamsSchema,
  textGenPresetNames,
} from '@mlq/jobs';
import {
  generationBounds,
  horizonBounds,
  MIN_LINEAR_POINTS,
  MIN_TRAINING_WINDOWS,
  priceLstmBounds,
  priceLstmDefaults,
  probeBounds,
  replyBounds,
  scalingChoices,
  seq2seqBounds,
  seq2seqDefaults,
  textGenBounds,
  textGenCells,
  textGenPresets,
  trainTextModel,
} from '@mlq/models';

/**
 * The API validates against `@mlq/jobs`' schemas (it must not import tfjs); the worker's model
 * library validates again. Their bounds and defaults must agree, or the API would accept what
 * the worker rejects.
 */
describe('job contract and model library agree', () => {
  it('on every LSTM parameter bound', () => {
    const properties = PriceLstmParamsSchema.properties as unknown as Record<string, { minimum?: number; exclusiveMinimum?: number; maximum: number; type: string }>;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(priceLstmDefaults).sort());
    expect((properties.scaling as unknown as { anyOf: Array<{ const: string }> }).anyOf.map((c) => c.const)).toEqual([...scalingChoices]);
    for (const [field, bound] of Object.entries(priceLstmBounds)) {
      const schema = properties[field]!;
      expect(schema.maximum, field).toBe(bound.max);
      expect(bound.exclusiveMin ? schema.exclusiveMinimum : schema.minimum, field).toBe(bound.min);
      expect(schema.type === 'integer', field).toBe(bound.integer);
    }
  });

  it('on defaults and minimum lengths', () => {
    expect(PRICE_DEFAULT_WINDOW).toBe(priceLstmDefaults.window);
    expect(PRICE_DEFAULT_HORIZON).toBe(horizonBounds.default);
    expect([HorizonSchema.minimum, HorizonSchema.maximum]).toEqual([horizonBounds.min, horizonBounds.max]);
    expect(PRICE_MIN_TRAINING_WINDOWS).toBe(MIN_TRAINING_WINDOWS);
    expect(PRICE_MIN_LINEAR_POINTS).toBe(MIN_LINEAR_POINTS);
  });
});

type NumberSchema = { type: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number };

/** Checks a TypeBox number/integer schema against a model library bound. */
function expectSameBound(field: string, schema: NumberSchema, bound: { min: number; max: number; integer: boolean; exclusiveMin?: boolean; exclusiveMax?: boolean }) {
  expect(bound.exclusiveMin ? schema.exclusiveMinimum : schema.minimum, `${field} min`).toBe(bound.min);
  expect(bound.exclusiveMax ? schema.exclusiveMaximum : schema.maximum, `${field} max`).toBe(bound.max);
  expect(schema.type === 'integer', `${field} integer`).toBe(bound.integer);
}

describe('job contract and model library agree on textgen and seq2seq', () => {
  it('textgen: params, cells, presets and generation bounds', () => {
    const properties = TextGenParamsSchema.properties as unknown as Record<string, NumberSchema>;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(textGenPresets.default).sort());
    for (const [field, bound] of Object.entries(textGenBounds)) expectSameBound(field, properties[field]!, bound);
    expect((TextGenParamsSchema.properties.cell.anyOf as Array<{ const: string }>).map((c) => c.const).sort()).toEqual([...textGenCells].sort());
    expect(TEXTGEN_PRESETS).toEqual(textGenPresets);
    expect([...textGenPresetNames].sort()).toEqual(Object.keys(textGenPresets).sort());
    const predict = PredictPayloadSchema.properties as unknown as Record<string, NumberSchema & { maxLength?: number; minLength?: number }>;
    expectSameBound('length', predict.length!, generationBounds.length);
    expectSameBound('temperature', predict.temperature!, generationBounds.temperature);
    expectSameBound('topK', predict.topK!, generationBounds.topK);
    expect([predict.seedText!.minLength, predict.seedText!.maxLength]).toEqual([generationBounds.seedText.min, generationBounds.seedText.max]);
  });

  it('the API\'s corpus length check matches the library\'s', async () => {
    for (const params of [{ seqLength: 10, validationSplit: 0.1 }, { seqLength: 30, validationSplit: 0 }, { seqLength: 60, validationSplit: 0.05 }]) {
      const needed = requiredTextCharacters(params);
      await expect(trainTextModel('ab'.repeat(needed).slice(0, needed - 1), { params: { ...params, epochs: 1 } })).rejects.toThrow(`needs at least ${needed}`);
    }
  });

  it('seq2seq: params, probes and reply bounds', () => {
    const properties = Seq2SeqParamsSchema.properties as unknown as Record<string, NumberSchema & { maxItems?: number; items?: { maxLength: number } }>;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(seq2seqDefaults).sort());
    for (const [field, bound] of Object.entries(seq2seqBounds)) expectSameBound(field, properties[field]!, bound);
    expect(properties.probes!.maxItems).toBe(probeBounds.maxCount);
    expect(properties.probes!.items!.maxLength).toBe(probeBounds.maxLength);
    expect(SEQ2SEQ_DEFAULT_EMBEDDING_SIZE).toBe(seq2seqDefaults.embeddingSize);
    // The memory estimates size a request with the defaults the model library will apply.
    expect(seq2seqDefaults).toMatchObject(SEQ2SEQ_DEFAULTS);
    expect(priceLstmDefaults).toMatchObject(PRICE_LSTM_DEFAULTS);
    const predict = PredictPayloadSchema.properties as unknown as Record<string, NumberSchema>;
    for (const field of ['beamWidth', 'n', 'maxLength', 'lengthPenalty'] as const) expectSameBound(field, predict[field]!, replyBounds[field]);
  });
});
