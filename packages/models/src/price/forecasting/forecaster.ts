import { InvalidSeriesError, ModelConfigError, NotEnoughDataError } from '../../errors.ts';

/** Observations oldest first, evenly spaced: `number[]` or `Float64Array`; never modified. */
export type SeriesInput = ArrayLike<number>;

/** The statistical families; `auto` backtests the others and keeps the best. */
export type ForecastMethod = 'naive' | 'seasonalNaive' | 'drift' | 'linearTrend' | 'ets' | 'theta' | 'optimizedTheta' | 'auto';

/**
 * An unfitted model specification (hyperparameters only). `fit` never changes it, so one value can
 * be fitted on many series or backtest folds — Darts' `ForecastingModel`, statsforecast's models.
 */
export interface Forecaster {
  readonly method: ForecastMethod;
  /** The specification in words, e.g. `seasonalNaive(7)`, `ets(auto)`. */
  readonly label: string;
  /** Fewest points `fit` accepts. */
  readonly minLength: number;
  /**
   * Fits the model on `series` (oldest first).
   * @throws NotEnoughDataError when `series` has fewer than `minLength` points
   * @throws InvalidSeriesError when a value is not finite
   */
  fit(series: SeriesInput): FittedForecaster;
}

/** A model fitted on one series; forecasts from that series' end. */
export interface FittedForecaster {
  readonly method: ForecastMethod;
  /** What was fitted, e.g. `ets(damped)`: for `auto`, `ets(auto)` or `theta` the variant it settled on. */
  readonly label: string;
  /** Points it was fitted on. */
  readonly length: number;
  /**
   * In-sample one-step-ahead forecasts, aligned with the series (`length` values): entry t is the
   * forecast of point t from points 0 … t − 1 with the fitted parameters. NaN where the method has
   * none (the first point of naive, the first `period` of seasonal naive).
   */
  readonly fitted: readonly number[];
  /** series − fitted, aligned with the series; NaN where `fitted` is. */
  readonly residuals: readonly number[];
  /** Point forecasts of the `horizon` points after the series' end, nearest first. */
  forecast(horizon: number): number[];
  /** A JSON-safe snapshot; `restoreForecaster` turns it back into an identical model. */
  toState(): ForecasterState;
}

/** What every saved model carries. */
export interface ForecasterStateBase {
  format: typeof FORECASTER_STATE_FORMAT;
  version: typeof FORECASTER_STATE_VERSION;
  /** The fitted model's `label`. */
  label: string;
  /** Points it was fitted on. */
  length: number;
  /** `fitted` with null where it is NaN (JSON has no NaN). */
  fitted: (number | null)[];
  /** `residuals` with null where it is NaN. */
  residuals: (number | null)[];
}

export const FORECASTER_STATE_FORMAT = 'mlq-statistical-forecaster';
export const FORECASTER_STATE_VERSION = 1;

export interface NaiveState extends ForecasterStateBase {
  method: 'naive';
  last: number;
}

export interface SeasonalNaiveState extends ForecasterStateBase {
  method: 'seasonalNaive';
  period: number;
  /** The last `period` observations, oldest first. */
  lastSeason: number[];
}

export interface DriftState extends ForecasterStateBase {
  method: 'drift';
  last: number;
  /** (last − first) / (length − 1). */
  slope: number;
}

export interface LinearTrendState extends ForecasterStateBase {
  method: 'linearTrend';
  /** Value of the line at t = 0 (the first point). */
  intercept: number;
  slope: number;
}

/** Non-seasonal additive-error ETS variants: ETS(A,N,N), ETS(A,A,N), ETS(A,Ad,N). */
export type EtsVariant = 'simple' | 'holt' | 'damped';

export interface EtsParameters {
  alpha: number;
  /** Trend smoothing in the error-correction form (0 < beta < alpha); 0 for `simple`. */
  beta: number;
  /** Damping; 1 for `holt`, 0 for `simple` (no trend). */
  phi: number;
}

export interface EtsFitSummary {
  variant: EtsVariant;
  /** Number of estimated parameters, the noise variance included (as R's `ets` counts them). */
  parameters: number;
  /** −2 log L of the Gaussian likelihood with σ² at its MLE. */
  minusTwoLogLikelihood: number;
  aic: number;
  /** AIC with the small-sample correction: AIC + 2k(k+1)/(n − k − 1). */
  aicc: number;
  /** Mean squared one-step residual. */
  mse: number;
}

export interface EtsState extends ForecasterStateBase {
  method: 'ets';
  variant: EtsVariant;
  parameters: EtsParameters;
  initial: { level: number; trend: number };
  /** Level and trend after the last observation. */
  final: { level: number; trend: number };
  summary: EtsFitSummary;
  /** Every variant that was fitted when the variant was chosen by AICc; the chosen one included. */
  candidates: EtsFitSummary[];
}

/** A classical decomposition's seasonal indices, index k for points t with t mod period = k. */
export interface SeasonalAdjustment {
  type: 'multiplicative' | 'additive';
  period: number;
  indices: number[];
}

export interface ThetaState extends ForecasterStateBase {
  method: 'theta';
  /** SES smoothing of the (seasonally adjusted) series. */
  alpha: number;
  initialLevel: number;
  /** SES level after the last observation. */
  level: number;
  /** Least-squares slope of the (seasonally adjusted) series on time; half of it is the drift. */
  slope: number;
  /** null when no period was given or the series failed the seasonality test. */
  seasonal: SeasonalAdjustment | null;
}

export interface OptimizedThetaState extends ForecasterStateBase {
  method: 'optimizedTheta';
  alpha: number;
  /** θ ≥ 1; θ = 2 is the standard Theta model, θ → ∞ follows the trend line. */
  theta: number;
  initialLevel: number;
  /** Least-squares line of the (seasonally adjusted) series on t = 1 … n: A + B·t. */
  intercept: number;
  slope: number;
  /** Level after the last observation. */
  level: number;
  seasonal: SeasonalAdjustment | null;
}

/** Why `auto` chose what it did: every candidate's backtest score. */
export interface AutoCandidateScore {
  label: string;
  /** Mean MASE over the selection folds; null when the candidate was not scored. */
  meanMase: number | null;
  /** Mean MAE over the same folds; null when not scored. */
  meanMae: number | null;
  /** Set when the candidate was not scored, e.g. `needs 10 points, the first fold trains on 7`. */
  skipped?: string;
}

export interface AutoSelection {
  /** Label of the chosen candidate. */
  chosen: string;
  /**
   * `best-mase`; `tie-simpler` (within the tolerance of the best, and simpler); naive as the
   * fallback: `too-short` (too few folds fit) or `unscored` (no candidate had a MASE).
   */
  reason: 'best-mase' | 'tie-simpler' | 'too-short' | 'unscored';
  horizon: number;
  folds: number;
  candidates: AutoCandidateScore[];
  /**
   * The chosen candidate's backtest residuals (actual − forecast) by horizon step: entry j holds
   * step j + 1 of every selection fold. What conformal intervals are calibrated from.
   */
  residualsByStep: number[][];
  /** The chosen candidate's forecasts those errors are errors of (for relative conformal scaling). */
  forecastsByStep: number[][];
}

export interface AutoState extends ForecasterStateBase {
  method: 'auto';
  model: Exclude<ForecasterState, AutoState>;
  selection: AutoSelection;
}

export type ForecasterState = NaiveState | SeasonalNaiveState | DriftState | LinearTrendState | EtsState | ThetaState | OptimizedThetaState | AutoState;

/**
 * `series` as a Float64Array after checking it.
 * @throws NotEnoughDataError, InvalidSeriesError
 */
export function readSeries(series: SeriesInput, minLength: number, label: string): Float64Array {
  if (series.length < minLength) throw new NotEnoughDataError(series.length, minLength, label);
  const values = Float64Array.from(series);
  for (let t = 0; t < values.length; t++) {
    if (!Number.isFinite(values[t])) throw new InvalidSeriesError(`value ${t} of the series is not a finite number (${values[t]})`, t);
  }
  return values;
}

/** @throws ModelConfigError unless `horizon` is a positive integer */
export function checkHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) throw new ModelConfigError('horizon', `must be a positive integer, got ${horizon}`);
}

/** JSON has no NaN: NaN ↔ null. */
const toJsonNumbers = (values: readonly number[]) => values.map((value) => (Number.isNaN(value) ? null : value));
const fromJsonNumbers = (values: readonly (number | null)[]) => values.map((value) => value ?? Number.NaN);

/** The base fields of a state, from the in-sample one-step forecasts of `series`. */
export function stateBase(label: string, series: ArrayLike<number>, fitted: readonly number[]): ForecasterStateBase {
  return {
    format: FORECASTER_STATE_FORMAT,
    version: FORECASTER_STATE_VERSION,
    label,
    length: series.length,
    fitted: toJsonNumbers(fitted),
    residuals: toJsonNumbers(fitted.map((value, t) => series[t]! - value)),
  };
}

/** A fitted model around its state: the state is the whole truth, `forecast` reads only it. */
export function wrapFitted<S extends ForecasterState>(state: S, forecast: (state: S, horizon: number) => number[]): FittedForecaster {
  const fitted = Object.freeze(fromJsonNumbers(state.fitted));
  const residuals = Object.freeze(fromJsonNumbers(state.residuals));
  return {
    method: state.method,
    label: state.label,
    length: state.length,
    fitted,
    residuals,
    forecast(horizon: number): number[] {
      checkHorizon(horizon);
      return forecast(state, horizon);
    },
    toState: () => structuredClone(state),
  };
}
