import { describe, expect, it } from 'vitest';
import { MlqError, isRetryable } from './errors.ts';
import { ModelConfigError, checkOption, resolveParams } from './params.ts';
import { PriceLstmParamsSchema, priceLstmDefaults, resolveSeq2SeqParams, resolveTextGenParams, textGenPredictFields, type PriceLstmSettings } from './families/index.ts';

const resolvePrice = (given: Partial<PriceLstmSettings>) => resolveParams(PriceLstmParamsSchema, priceLstmDefaults, given, 'price LSTM');

describe("resolveParams: one schema, the model library's messages", () => {
  it('fills defaults under the given values and leaves undefined ones at their default', () => {
    expect(resolvePrice({ window: 30, units1: undefined })).toEqual({ ...priceLstmDefaults, window: 30 });
  });

  it.each([
    [{ window: 400 }, 'window must be <= 365, got 400'],
    [{ window: 1 }, 'window must be >= 2, got 1'],
    [{ window: 2.5 }, 'window must be an integer, got 2.5'],
    [{ window: Number.NaN }, 'window must be a finite number, got NaN'],
    [{ learningRate: 0 }, 'learningRate must be > 0, got 0'],
    [{ scaling: 'log' as never }, 'scaling must be one of auto, relative, minmax, got log'],
    [{ lookback: 3 } as never, 'lookback is not a price LSTM parameter (known: window, units1'],
  ])('%j → %s', (given, message) => {
    expect(() => resolvePrice(given)).toThrow(message);
  });

  it('names nested fields the way the library did (probes[1])', () => {
    expect(() => resolveSeq2SeqParams({ probes: ['hi', 'x'.repeat(201)] })).toThrow('probes[1] must be at most 200 characters, got 201');
  });

  it('applies family rules beyond the schema: textgen step <= seqLength, step defaults to seqLength', () => {
    expect(resolveTextGenParams({ seqLength: 40 }).step).toBe(40);
    expect(() => resolveTextGenParams({ seqLength: 40, step: 41 })).toThrow('step must be <= seqLength (40), got 41');
    expect(() => resolveTextGenParams({}, 'huge' as never)).toThrow('preset must be one of default, talk, got huge');
  });

  it('checks a single option against its predict field schema', () => {
    expect(checkOption('temperature', textGenPredictFields.temperature, 0.5)).toBe(0.5);
    expect(() => checkOption('temperature', textGenPredictFields.temperature, 0)).toThrow('temperature must be > 0, got 0');
  });
});

describe('error taxonomy', () => {
  it('a bad param is a permanent 400; anything that is not an MlqError is retried', () => {
    const error = (() => {
      try {
        resolvePrice({ window: 0 });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error).toBeInstanceOf(MlqError);
    expect((error as ModelConfigError).status).toBe(400);
    expect(isRetryable(error)).toBe(false);
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true);
    expect(isRetryable(new MlqError('unavailable', 'store down'))).toBe(true);
  });
});
