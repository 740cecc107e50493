import { describe, expect, it } from 'vitest';
import { autoForecaster } from './auto.ts';
import { naive, seasonalNaive } from './naive.ts';
import { ForecasterStateError, restoreForecaster } from './restore.ts';
import { ets } from './ets.ts';

const series = Array.from({ length: 60 }, (_, t) => 50 + 0.3 * t + 3 * Math.sin(t));

describe('restoreForecaster', () => {
  it('refuses another format, another version, an unknown method, and names the field', () => {
    const state = naive().fit(series).toState();
    expect(() => restoreForecaster({ ...state, format: 'other' })).toThrow(/state.format/);
    expect(() => restoreForecaster({ ...state, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => restoreForecaster({ ...state, method: 'prophet' })).toThrow(/method "prophet"/);
    expect(() => restoreForecaster({ ...state, method: 'toString' })).toThrow(ForecasterStateError);
    expect(() => restoreForecaster(null)).toThrow(ForecasterStateError);
  });

  it('refuses malformed fields before forecasting with them', () => {
    const naiveState = naive().fit(series).toState();
    expect(() => restoreForecaster({ ...naiveState, last: 'x' })).toThrow(/state.last/);
    expect(() => restoreForecaster({ ...naiveState, fitted: [1, 2] })).toThrow(/state.fitted/);
    const seasonal = seasonalNaive(7).fit(series).toState();
    expect(() => restoreForecaster({ ...seasonal, lastSeason: [1, 2, 3] })).toThrow(/lastSeason/);
    const etsState = ets().fit(series).toState();
    expect(() => restoreForecaster({ ...etsState, variant: 'multiplicative' })).toThrow(/state.variant/);
    const auto = autoForecaster({ horizon: 5, folds: 4 }).fit(series).toState();
    expect(() => restoreForecaster({ ...auto, model: { ...(auto as { model: object }).model, format: 'x' } })).toThrow(/state.model.format/);
  });

  it('keeps NaN fitted values through JSON as null', () => {
    const state = naive().fit(series).toState();
    expect(state.fitted[0]).toBeNull();
    expect(Number.isNaN(restoreForecaster(JSON.parse(JSON.stringify(state))).fitted[0])).toBe(true);
  });
});
