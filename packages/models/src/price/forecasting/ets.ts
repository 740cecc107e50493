import { ModelConfigError } from '../../errors.ts';
import {
  readSeries,
  stateBase,
  wrapFitted,
  type EtsFitSummary,
  type EtsParameters,
  type EtsState,
  type EtsVariant,
  type FittedForecaster,
  type Forecaster,
  type SeriesInput,
} from './forecaster.ts';
import { solveTwoUnknowns } from './least-squares.ts';
import { fromInterval, minimizeNelderMead, toInterval } from './nelder-mead.ts';

/**
 * Exponential smoothing, the additive-error non-seasonal models of Hyndman et al.'s state space
 * framework (R's `ets`, statsforecast's `AutoETS`), in error-correction form:
 *
 *   ŷₜ = ℓₜ₋₁ + φ·bₜ₋₁,   eₜ = yₜ − ŷₜ,   ℓₜ = ℓₜ₋₁ + φ·bₜ₋₁ + α·eₜ,   bₜ = φ·bₜ₋₁ + β·eₜ
 *
 * `simple` is ETS(A,N,N) (no trend: b ≡ 0), `holt` ETS(A,A,N) (φ = 1), `damped` ETS(A,Ad,N).
 * The h-step forecast is ℓₙ + (φ + φ² + … + φʰ)·bₙ. (Holt's textbook β* is β/α.)
 */
export interface EtsOptions {
  /**
   * Which model; `auto` fits every variant the series is long enough for and keeps the lowest
   * AICc, as AutoETS does among its additive-error non-seasonal models.
   * @defaultValue 'auto'
   */
  variant?: EtsVariant | 'auto';
  /** Fixes α (0 < α ≤ 1) instead of estimating it in [1e-4, 0.9999]. */
  alpha?: number;
  /** Fixes β (0 ≤ β ≤ α) instead of estimating it in [1e-4, α]. */
  beta?: number;
  /** Fixes φ (0 < φ ≤ 1) instead of estimating it in [0.8, 0.98]. */
  phi?: number;
  /** Fixes the initial level ℓ₀ instead of estimating it. */
  initialLevel?: number;
  /** Fixes the initial trend b₀ instead of estimating it. */
  initialTrend?: number;
}

/** The usual bounds of R's `ets` and statsforecast (`bounds = "usual"`). */
export const ETS_BOUNDS = Object.freeze({ alpha: [1e-4, 0.9999], beta: [1e-4, 0.9999], phi: [0.8, 0.98] } as const);

const VARIANTS: readonly EtsVariant[] = ['simple', 'holt', 'damped'];

/**
 * Exponential smoothing with parameters fitted by maximum likelihood (equivalently, least squares
 * of the one-step errors, σ² at its MLE). The initial states enter the errors linearly, so for
 * each trial (α, β, φ) they are solved exactly by least squares; Nelder–Mead searches only the
 * smoothing parameters, through logistic maps onto their bounds, from the best of a small grid.
 */
export function ets(options: EtsOptions = {}): Forecaster {
  checkEtsOptions(options);
  const variant = options.variant ?? 'auto';
  const candidates = variant === 'auto' ? VARIANTS : [variant];
  const minLength = Math.min(...candidates.map((v) => etsMinLength(v, options)));
  const label = `ets(${variant})`;
  return {
    method: 'ets',
    label,
    minLength,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, minLength, label);
      const fits = candidates.filter((v) => values.length >= etsMinLength(v, options)).map((v) => fitEtsVariant(values, v, options));
      let best = fits[0]!;
      // Strictly lower only: on a tie the simpler variant (listed first) stays.
      for (const fit of fits) if (fit.summary.aicc < best.summary.aicc) best = fit;
      return restoreEts({
        ...stateBase(`ets(${best.summary.variant})`, values, best.fitted),
        method: 'ets',
        variant: best.summary.variant,
        parameters: best.parameters,
        initial: best.initial,
        final: best.final,
        summary: best.summary,
        candidates: fits.map((fit) => fit.summary),
      });
    },
  };
}

export function restoreEts(state: EtsState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => forecastEts(s.variant, s.parameters.phi, s.final, horizon));
}

function forecastEts(variant: EtsVariant, phi: number, final: { level: number; trend: number }, horizon: number): number[] {
  const forecasts: number[] = [];
  let trendSum = 0;
  let damping = 1;
  for (let j = 1; j <= horizon; j++) {
    if (variant !== 'simple') {
      damping *= variant === 'damped' ? phi : 1;
      trendSum += damping;
    }
    forecasts.push(final.level + trendSum * final.trend);
  }
  return forecasts;
}

/** Estimated parameters of a variant: smoothing parameters and initial states not fixed by the options. */
function freeParameterCount(variant: EtsVariant, options: EtsOptions): number {
  let count = (options.alpha === undefined ? 1 : 0) + (options.initialLevel === undefined ? 1 : 0);
  if (variant !== 'simple') count += (options.beta === undefined ? 1 : 0) + (options.initialTrend === undefined ? 1 : 0);
  if (variant === 'damped') count += options.phi === undefined ? 1 : 0;
  return count;
}

/** R's `ets` fits a model only when n > (its parameters) + 4; nothing to estimate needs one point. */
export function etsMinLength(variant: EtsVariant, options: EtsOptions): number {
  const free = freeParameterCount(variant, options);
  return free === 0 ? 1 : free + 5;
}

export function checkEtsOptions(options: EtsOptions): void {
  const { variant, alpha, beta, phi, initialLevel, initialTrend } = options;
  if (variant !== undefined && variant !== 'auto' && !VARIANTS.includes(variant)) {
    throw new ModelConfigError('variant', `must be one of auto, ${VARIANTS.join(', ')}; got ${String(variant)}`);
  }
  const check = (field: string, value: number | undefined, ok: (v: number) => boolean, range: string) => {
    if (value !== undefined && !(Number.isFinite(value) && ok(value))) throw new ModelConfigError(field, `must be ${range}, got ${value}`);
  };
  check('alpha', alpha, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('beta', beta, (v) => v >= 0 && v <= (alpha ?? 1), alpha === undefined ? 'in [0, 1]' : `in [0, alpha = ${alpha}]`);
  check('phi', phi, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('initialLevel', initialLevel, () => true, 'finite');
  check('initialTrend', initialTrend, () => true, 'finite');
}

export interface EtsVariantFit {
  parameters: EtsParameters;
  initial: { level: number; trend: number };
  final: { level: number; trend: number };
  fitted: number[];
  summary: EtsFitSummary;
}

/**
 * Sums of squares and products of the one-step errors, split by what the initial states
 * contribute: the errors are r + ℓ₀·a + b₀·b, with r the errors from ℓ₀ = b₀ = 0 (or their fixed
 * values) and a, b those of a unit initial level or trend on a zero series. One O(n) pass. The
 * unit tracks do not depend on the data and usually decay geometrically; once they are below
 * 1e-15 they add nothing measurable and are no longer updated.
 */
function errorSums(y: Float64Array, trended: boolean, alpha: number, beta: number, phi: number, start: { level: number; trend: number }) {
  let rl = start.level;
  let rb = trended ? start.trend : 0;
  let al = 1;
  let ab = 0;
  let bl = 0;
  let bb = trended ? 1 : 0;
  let rr = 0;
  let ra = 0;
  let rbSum = 0;
  let aa = 0;
  let abSum = 0;
  let bbSum = 0;
  let t = 0;
  for (; t < y.length; t++) {
    const re = y[t]! - (rl + phi * rb);
    const ae = -(al + phi * ab);
    const be = -(bl + phi * bb);
    rr += re * re;
    ra += re * ae;
    rbSum += re * be;
    aa += ae * ae;
    abSum += ae * be;
    bbSum += be * be;
    rl = rl + phi * rb + alpha * re;
    rb = phi * rb + beta * re;
    al = al + phi * ab + alpha * ae;
    ab = phi * ab + beta * ae;
    bl = bl + phi * bb + alpha * be;
    bb = phi * bb + beta * be;
    if ((t & 15) === 15 && Math.abs(al) + Math.abs(ab) + Math.abs(bl) + Math.abs(bb) < 1e-15) break;
  }
  for (t++; t < y.length; t++) {
    const re = y[t]! - (rl + phi * rb);
    rr += re * re;
    rl = rl + phi * rb + alpha * re;
    rb = phi * rb + beta * re;
  }
  return { rr, ra, rb: rbSum, aa, ab: abSum, bb: bbSum };
}

/** Runs the recursion from given initial states: fitted values, final states and the SSE. */
function runEts(y: ArrayLike<number>, trended: boolean, { alpha, beta, phi }: EtsParameters, initial: { level: number; trend: number }) {
  let level = initial.level;
  let trend = trended ? initial.trend : 0;
  const fitted: number[] = [];
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const forecast = level + (trended ? phi * trend : 0);
    const error = y[t]! - forecast;
    fitted.push(forecast);
    sse += error * error;
    level = forecast + alpha * error;
    trend = trended ? phi * trend + beta * error : 0;
  }
  return { fitted, sse, final: { level, trend } };
}

/** Fits one variant (the internals of {@link ets}; `theta` fits its SES with it). */
export function fitEtsVariant(series: Float64Array, variant: EtsVariant, options: EtsOptions): EtsVariantFit {
  const n = series.length;
  const trended = variant !== 'simple';
  // ETS is translation-equivariant in the level: fitting y − y₀ keeps the sums small (no
  // cancellation on prices far from 0) and shifts only ℓ₀ by y₀.
  const origin = series[0]!;
  const y = series.map((v) => v - origin);
  const fixedStart = { level: options.initialLevel === undefined ? 0 : options.initialLevel - origin, trend: options.initialTrend ?? 0 };
  const free = { level: options.initialLevel === undefined, trend: trended && options.initialTrend === undefined };
  let scale = 0;
  for (let t = 0; t < n; t++) scale += y[t]! * y[t]!;
  // A perfect fit has SSE 0 (log −∞); sums that cancel can even go slightly negative.
  const floor = 1e-24 * (scale + (origin * origin + 1) * n);

  const searchAlpha = options.alpha === undefined;
  const searchBeta = trended && options.beta === undefined;
  const searchPhi = variant === 'damped' && options.phi === undefined;
  const [alphaLow, alphaHigh] = ETS_BOUNDS.alpha;
  const decode = (u: ArrayLike<number>): EtsParameters => {
    let i = 0;
    const alpha = searchAlpha ? toInterval(u[i++]!, Math.max(alphaLow, options.beta ?? 0), alphaHigh) : options.alpha!;
    const beta = !trended ? 0 : searchBeta ? toInterval(u[i++]!, ETS_BOUNDS.beta[0], Math.min(alpha, ETS_BOUNDS.beta[1])) : options.beta!;
    const phi = variant === 'simple' ? 0 : variant === 'holt' ? 1 : searchPhi ? toInterval(u[i++]!, ETS_BOUNDS.phi[0], ETS_BOUNDS.phi[1]) : options.phi!;
    return { alpha, beta, phi };
  };
  const profile = (p: EtsParameters) => solveTwoUnknowns(errorSums(y, trended, p.alpha, p.beta, trended ? p.phi : 1, fixedStart), { a: free.level, b: free.trend });
  const objective = (u: ArrayLike<number>) => Math.log(Math.max(profile(decode(u)).sumOfSquares, floor));

  let parameters = decode([]);
  if (searchAlpha || searchBeta || searchPhi) {
    const encode = (alpha: number, betaShare: number, phi: number) => {
      const u: number[] = [];
      const lowAlpha = Math.max(alphaLow, options.beta ?? 0);
      if (searchAlpha) u.push(fromInterval(Math.max(alpha, lowAlpha + 1e-6), lowAlpha, alphaHigh));
      if (searchBeta) u.push(fromInterval(betaShare, 0, 1));
      if (searchPhi) u.push(fromInterval(phi, ETS_BOUNDS.phi[0], ETS_BOUNDS.phi[1]));
      return u;
    };
    // A coarse grid first: the likelihood of these models is often multimodal in α.
    let start = encode(0.2, 0.1, 0.95);
    let startValue = Number.POSITIVE_INFINITY;
    for (const alpha of searchAlpha ? [0.02, 0.2, 0.5, 0.8, 0.99] : [0.5]) {
      for (const betaShare of searchBeta ? [0.02, 0.2, 0.6] : [0.1]) {
        for (const phi of searchPhi ? [0.85, 0.95] : [0.95]) {
          const u = encode(alpha, betaShare, phi);
          const value = objective(u);
          if (value < startValue) {
            start = u;
            startValue = value;
          }
        }
      }
    }
    // Converged when the objective stops improving, as R's optim: near a bound the logistic map
    // is flat, and a tolerance on the point would keep the simplex crawling along it.
    const tolerances = { valueTolerance: 1e-8, pointTolerance: Number.POSITIVE_INFINITY };
    let result = minimizeNelderMead(objective, start, { step: 1, ...tolerances });
    // One restart from the optimum: the simplex may have collapsed early.
    result = minimizeNelderMead(objective, result.point, { step: 0.3, ...tolerances });
    parameters = decode(result.point);
  }

  const solved = profile(parameters);
  const initial = {
    level: (free.level ? solved.a : fixedStart.level) + origin,
    trend: trended ? (free.trend ? solved.b : fixedStart.trend) : 0,
  };
  const run = runEts(series, trended, parameters, initial);
  const k = freeParameterCount(variant, options) + 1;
  const sigma2 = Math.max(run.sse, floor) / n;
  const minusTwoLogLikelihood = n * (Math.log(2 * Math.PI * sigma2) + 1);
  const aic = minusTwoLogLikelihood + 2 * k;
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Number.POSITIVE_INFINITY;
  return {
    parameters,
    initial,
    final: run.final,
    fitted: run.fitted,
    summary: { variant, parameters: k, minusTwoLogLikelihood, aic, aicc, mse: run.sse / n },
  };
}
