import { describe, expect, it } from 'vitest';
import { defaultPriceArchitecture, estimatePriceTraining, priceFamily, priceParamsOf, requiredHistoryLength, requiredSeriesLength, resolvePriceParams } from './price.ts';

describe('price params by architecture', () => {
  it('fills each architecture’s defaults: quantiles everywhere, period 7 for seasonal naive, none elsewhere unless given', () => {
    expect(resolvePriceParams('auto', undefined)).toEqual({ quantiles: [0.1, 0.5, 0.9] });
    expect(resolvePriceParams('seasonal-naive', {})).toEqual({ period: 7, quantiles: [0.1, 0.5, 0.9] });
    expect(resolvePriceParams('theta', { period: 12, quantiles: [0.9, 0.1] })).toEqual({ period: 12, quantiles: [0.1, 0.9] });
    expect(resolvePriceParams('lstm', { window: 20, quantiles: [0.25, 0.75] })).toEqual({ quantiles: [0.25, 0.75] });
  });

  it('refuses a param the architecture does not take, naming it; linear ignores the LSTM’s as it always has', () => {
    expect(() => resolvePriceParams('ets', { period: 7 })).toThrow('period is not a price ets parameter (known: quantiles)');
    expect(() => resolvePriceParams('naive', { epochs: 3 })).toThrow('epochs is not a price naive parameter (known: quantiles)');
    expect(() => resolvePriceParams('lstm', { period: 7 })).toThrow(/^period is not a price lstm parameter \(known: window, units1, .*quantiles\)$/);
    expect(resolvePriceParams('linear', { window: 30, epochs: 3 })).toEqual({ quantiles: [0.1, 0.5, 0.9] });
    expect(() => resolvePriceParams('linear', { period: 7 })).toThrow('period is not a price linear parameter (known: quantiles)');
    expect(() => resolvePriceParams('auto', { quantiles: [0.5, 0.99] })).toThrow('quantiles[1] must be <= 0.95, got 0.99');
    expect(() => resolvePriceParams('seasonal-naive', { period: 1 })).toThrow('period must be >= 2, got 1');
    expect(priceParamsOf('optimized-theta')).toEqual(['period', 'quantiles']);
  });

  it('needs the holdout plus what each architecture fits on (at least 2 points)', () => {
    expect(requiredSeriesLength('auto', undefined, 10)).toBe(12);
    expect(requiredSeriesLength('naive', undefined, 10)).toBe(12);
    expect(requiredSeriesLength('seasonal-naive', undefined, 10)).toBe(17);
    expect(requiredSeriesLength('seasonal-naive', { period: 30 }, 5)).toBe(35);
    expect(requiredSeriesLength('optimized-theta', undefined, undefined)).toBe(18);
    expect(requiredSeriesLength('lstm', { window: 20 }, 5)).toBe(35);
    expect(requiredSeriesLength('linear', undefined, 3)).toBe(5);
    expect(requiredHistoryLength('lstm', { window: 12 })).toBe(12);
    expect(requiredHistoryLength('ets', {})).toBe(7);
    expect(requiredHistoryLength('auto', {})).toBe(1);
  });

  it('estimates memory for the LSTM only; the default architecture is auto', () => {
    const facts = { kind: 'price', seriesLength: 1600 } as const;
    const base = { kind: 'price', dataset: 'd', series: 's' } as const;
    expect(defaultPriceArchitecture).toBe('auto');
    expect(priceFamily.estimateTrainingMemory(base, facts, 1)).toBeUndefined();
    expect(priceFamily.estimateTrainingMemory({ ...base, architecture: 'ets' }, facts, 1)).toBeUndefined();
    expect(priceFamily.estimateTrainingMemory({ ...base, architecture: 'lstm' }, facts, 1)).toEqual(estimatePriceTraining({ seriesLength: 1600 }, 1));
  });
});
