import { ModelError } from '../../errors.ts';
import { wrapAuto } from './auto.ts';
import { restoreDrift } from './drift.ts';
import { restoreEts } from './ets.ts';
import { FORECASTER_STATE_FORMAT, FORECASTER_STATE_VERSION, type FittedForecaster, type ForecasterState } from './forecaster.ts';
import { restoreLinearTrend } from './linear-trend.ts';
import { restoreNaive, restoreSeasonalNaive } from './naive.ts';
import { restoreOptimizedTheta } from './optimized-theta.ts';
import { restoreTheta } from './theta.ts';

/** A saved forecaster state that cannot be restored; names what is wrong. */
export class ForecasterStateError extends ModelError {}

/**
 * Turns a saved state (`fitted.toState()`, possibly through JSON) back into a model that
 * forecasts exactly as the saved one did.
 * @throws ForecasterStateError for another format, a newer version, an unknown method or a malformed field
 */
export function restoreForecaster(state: unknown): FittedForecaster {
  checkState(state, 'state');
  return restoreChecked(state as ForecasterState);
}

function restoreChecked(state: ForecasterState): FittedForecaster {
  switch (state.method) {
    case 'naive':
      return restoreNaive(state);
    case 'seasonalNaive':
      return restoreSeasonalNaive(state);
    case 'drift':
      return restoreDrift(state);
    case 'linearTrend':
      return restoreLinearTrend(state);
    case 'ets':
      return restoreEts(state);
    case 'theta':
      return restoreTheta(state);
    case 'optimizedTheta':
      return restoreOptimizedTheta(state);
    case 'auto':
      return wrapAuto(state, restoreChecked(state.model));
  }
}

type Shape = Record<string, (value: unknown) => boolean>;

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPositiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;
const isFiniteArray = (value: unknown) => Array.isArray(value) && value.every(isFiniteNumber);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasShape = (shape: Shape) => (value: unknown) => isObject(value) && Object.entries(shape).every(([key, check]) => check(value[key]));
const isSeasonal = (value: unknown) =>
  value === null ||
  (hasShape({ type: (t) => t === 'multiplicative' || t === 'additive', period: isPositiveInteger, indices: isFiniteArray })(value) &&
    (value as { indices: number[] }).indices.length === (value as { period: number }).period);
const isSelection = hasShape({
  chosen: (v) => typeof v === 'string',
  reason: (v) => v === 'best-mase' || v === 'tie-simpler' || v === 'too-short' || v === 'unscored',
  horizon: isPositiveInteger,
  folds: (v) => Number.isInteger(v) && (v as number) >= 0,
  candidates: (v) => Array.isArray(v) && v.every(isObject),
  residualsByStep: (v) => Array.isArray(v) && v.every(isFiniteArray),
  forecastsByStep: (v) => Array.isArray(v) && v.every(isFiniteArray),
});

/** Fields each method needs beyond the common ones. */
const METHOD_SHAPES: Record<ForecasterState['method'], Shape> = {
  naive: { last: isFiniteNumber },
  seasonalNaive: { period: isPositiveInteger, lastSeason: isFiniteArray },
  drift: { last: isFiniteNumber, slope: isFiniteNumber },
  linearTrend: { intercept: isFiniteNumber, slope: isFiniteNumber },
  ets: {
    variant: (v) => v === 'simple' || v === 'holt' || v === 'damped',
    parameters: hasShape({ alpha: isFiniteNumber, beta: isFiniteNumber, phi: isFiniteNumber }),
    initial: hasShape({ level: isFiniteNumber, trend: isFiniteNumber }),
    final: hasShape({ level: isFiniteNumber, trend: isFiniteNumber }),
    summary: isObject,
    candidates: (v) => Array.isArray(v) && v.every(isObject),
  },
  theta: { alpha: (v) => isFiniteNumber(v) && v > 0 && v <= 1, initialLevel: isFiniteNumber, level: isFiniteNumber, slope: isFiniteNumber, seasonal: isSeasonal },
  optimizedTheta: {
    alpha: (v) => isFiniteNumber(v) && v > 0 && v <= 1,
    theta: (v) => isFiniteNumber(v) && v >= 1,
    initialLevel: isFiniteNumber,
    intercept: isFiniteNumber,
    slope: isFiniteNumber,
    level: isFiniteNumber,
    seasonal: isSeasonal,
  },
  auto: { model: isObject, selection: isSelection },
};

function checkState(state: unknown, where: string): void {
  if (!isObject(state)) throw new ForecasterStateError(`${where} must be an object`);
  if (state.format !== FORECASTER_STATE_FORMAT) throw new ForecasterStateError(`${where}.format must be "${FORECASTER_STATE_FORMAT}", got ${JSON.stringify(state.format)}`);
  if (state.version !== FORECASTER_STATE_VERSION)
    throw new ForecasterStateError(`${where}.version ${JSON.stringify(state.version)} is not supported (this library reads version ${FORECASTER_STATE_VERSION})`);
  const method = state.method as ForecasterState['method'];
  const shape = Object.hasOwn(METHOD_SHAPES, String(method)) ? METHOD_SHAPES[method] : undefined;
  if (!shape) throw new ForecasterStateError(`${where}.method ${JSON.stringify(state.method)} is not one of ${Object.keys(METHOD_SHAPES).join(', ')}`);
  if (!isPositiveInteger(state.length)) throw new ForecasterStateError(`${where}.length must be a positive integer`);
  if (typeof state.label !== 'string') throw new ForecasterStateError(`${where}.label must be a string`);
  for (const key of ['fitted', 'residuals'] as const) {
    const values = state[key];
    if (!Array.isArray(values) || values.length !== state.length || !values.every((v) => v === null || isFiniteNumber(v))) {
      throw new ForecasterStateError(`${where}.${key} must hold ${String(state.length)} numbers or nulls`);
    }
  }
  for (const [key, check] of Object.entries(shape)) {
    if (!check(state[key])) throw new ForecasterStateError(`${where}.${key} is missing or malformed for method ${method}`);
  }
  if (method === 'seasonalNaive' && (state.lastSeason as number[]).length !== state.period) {
    throw new ForecasterStateError(`${where}.lastSeason must hold period (${String(state.period)}) values`);
  }
  if (method === 'auto') {
    const model = state.model as Record<string, unknown>;
    if (model.method === 'auto') throw new ForecasterStateError(`${where}.model must not be an auto model`);
    checkState(model, `${where}.model`);
  }
}
