import { describe, expect, it } from 'vitest';
import {
  HorizonSchema,
  PRICE_DEFAULT_HORIZON,
  PRICE_DEFAULT_WINDOW,
  PRICE_MIN_LINEAR_POINTS,
  PRICE_MIN_TRAINING_WINDOWS,
  PriceLstmParamsSchema,
} from '@mlq/jobs';
import { horizonBounds, MIN_LINEAR_POINTS, MIN_TRAINING_WINDOWS, priceLstmBounds, priceLstmDefaults, scalingChoices } from '@mlq/models';

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
