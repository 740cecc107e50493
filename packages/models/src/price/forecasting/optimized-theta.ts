import { ModelConfigError } from '../../errors.ts';
import { readSeries, stateBase, wrapFitted, type FittedForecaster, type Forecaster, type OptimizedThetaState, type SeriesInput } from './forecaster.ts';
import { solveTwoUnknowns } from './least-squares.ts';
import { fitTrendLine } from './linear-trend.ts';
import { chooseSeasonalAdjustment, removeSeasonal, restoreSeasonal } from './seasonal-decomposition.ts';

export interface OptimizedThetaOptions {
  /** As in `theta`: seasonal adjustment when given and the series is seasonal. */
  period?: number;
  /** Fixes α in [0.1, 0.99] instead of estimating it. */
  alpha?: number;
  /** Fixes θ ≥ 1 instead of estimating it (θ = 2: the standard Theta model). */
  theta?: number;
}

/** statsforecast's bounds for the optimised Theta model. */
export const OPTIMIZED_THETA_BOUNDS = Object.freeze({ alpha: [0.1, 0.99], theta: [1, 1e10] } as const);

/** The first errors are left out of the fit (statsforecast's burn-in). */
const BURN_IN = 3;

/**
 * The Optimised Theta Model (OTM) of Fiorucci et al. (2016), statsforecast's `OptimizedTheta`:
 * with A + B·t the least-squares line on t = 1 … n and q = 1 − α, the one-step forecast of point
 * i (0-based) is
 *
 *   μᵢ = ℓᵢ₋₁ + (1 − 1/θ)·(A·qⁱ + B·(1 − qⁱ⁺¹)/α),   ℓᵢ = α·yᵢ + q·ℓᵢ₋₁,
 *
 * and forecasts continue the recursion with yᵢ = μᵢ. θ = 1 is SES, θ = 2 the standard Theta
 * model, θ → ∞ the trend line. ℓ₋₁, α and θ minimise the squared one-step errors after the first
 * three. The errors are linear in ℓ₋₁ and κ = 1 − 1/θ ∈ [0, 1), so for each α both are solved by
 * (bounded) least squares and only α is searched: a grid, then golden-section refinement.
 */
export function optimizedTheta(options: OptimizedThetaOptions = {}): Forecaster {
  const { period, alpha, theta } = options;
  if (period !== undefined && (!Number.isInteger(period) || period < 2)) throw new ModelConfigError('period', `must be an integer ≥ 2, got ${period}`);
  if (alpha !== undefined && !(alpha >= OPTIMIZED_THETA_BOUNDS.alpha[0] && alpha <= OPTIMIZED_THETA_BOUNDS.alpha[1])) {
    throw new ModelConfigError('alpha', `must be in [${OPTIMIZED_THETA_BOUNDS.alpha.join(', ')}], got ${alpha}`);
  }
  if (theta !== undefined && !(theta >= 1 && Number.isFinite(theta))) throw new ModelConfigError('theta', `must be a finite number ≥ 1, got ${theta}`);
  const label = period === undefined ? 'optimizedTheta' : `optimizedTheta(${period})`;
  // Burn-in plus the unknowns (ℓ₋₁, α, θ, A, B) and a few degrees of freedom, as for ets.
  const minLength = BURN_IN + 5;
  return {
    method: 'optimizedTheta',
    label,
    minLength,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, minLength, label);
      const seasonal = chooseSeasonalAdjustment(values, period);
      const y = removeSeasonal(values, seasonal);
      const line = fitTrendLine(y, 1);
      // The model is translation-equivariant (y + c: A + c, ℓ₋₁ + c·(1 − κ)); solving on y − y₀
      // keeps the sums of squares small next to prices far from 0.
      const origin = y[0]!;
      const shifted = y.map((v) => v - origin);
      const shiftedLine = { intercept: line.intercept - origin, slope: line.slope };
      const best = alpha === undefined ? searchAlpha(shifted, shiftedLine, theta) : solveForAlpha(shifted, shiftedLine, alpha, theta);
      const kappa = best.kappa;
      const q = 1 - best.alpha;
      const initialLevel = best.initialLevel + origin * (1 - kappa);
      let level = initialLevel;
      const adjustedFitted: number[] = [];
      for (let i = 0; i < y.length; i++) {
        adjustedFitted.push(level + kappa * trendTerm(line, best.alpha, q, i));
        level = best.alpha * y[i]! + q * level;
      }
      const fitted = restoreSeasonal(adjustedFitted, seasonal, 0);
      const thetaValue = theta ?? 1 / (1 - kappa);
      return restoreOptimizedTheta({
        ...stateBase(seasonal ? `optimizedTheta(${seasonal.period}, ${seasonal.type})` : 'optimizedTheta', values, fitted),
        method: 'optimizedTheta',
        alpha: best.alpha,
        theta: thetaValue,
        initialLevel,
        intercept: line.intercept,
        slope: line.slope,
        level,
        seasonal,
      });
    },
  };
}

export function restoreOptimizedTheta(state: OptimizedThetaState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => {
    const kappa = 1 - 1 / s.theta;
    const q = 1 - s.alpha;
    let level = s.level;
    const adjusted: number[] = [];
    for (let j = 0; j < horizon; j++) {
      const mu = level + kappa * trendTerm({ intercept: s.intercept, slope: s.slope }, s.alpha, q, s.length + j);
      adjusted.push(mu);
      level = s.alpha * mu + q * level;
    }
    return restoreSeasonal(adjusted, s.seasonal, s.length);
  });
}

/** A·qⁱ + B·(1 − qⁱ⁺¹)/α: what the θ-weighted trend adds to the SES level at point i. */
function trendTerm(line: { intercept: number; slope: number }, alpha: number, q: number, i: number): number {
  return line.intercept * q ** i + (line.slope * (1 - q ** (i + 1))) / alpha;
}

interface ThetaSolution {
  alpha: number;
  initialLevel: number;
  kappa: number;
  sumOfSquares: number;
}

/** Largest κ = 1 − 1/θ allowed (θ ≤ 1e10). */
const KAPPA_MAX = 1 - 1 / OPTIMIZED_THETA_BOUNDS.theta[1];

/** ℓ₋₁ and κ (or ℓ₋₁ alone when θ is fixed) minimising the errors for one α. */
function solveForAlpha(y: Float64Array, line: { intercept: number; slope: number }, alpha: number, fixedTheta: number | undefined): ThetaSolution {
  const q = 1 - alpha;
  const fixedKappa = fixedTheta === undefined ? 0 : 1 - 1 / fixedTheta;
  // eᵢ = rᵢ + ℓ₋₁·aᵢ + κ·bᵢ with rᵢ = yᵢ − (SES level from ℓ₋₁ = 0), aᵢ = −qⁱ, bᵢ = −trendTermᵢ.
  let zeroLevel = 0;
  let qPower = 1;
  const sums = { rr: 0, ra: 0, rb: 0, aa: 0, ab: 0, bb: 0 };
  for (let i = 0; i < y.length; i++) {
    const b = -(line.intercept * qPower + (line.slope * (1 - qPower * q)) / alpha);
    const r = y[i]! - zeroLevel + fixedKappa * b;
    const a = -qPower;
    if (i >= BURN_IN) {
      sums.rr += r * r;
      sums.ra += r * a;
      sums.aa += a * a;
      sums.rb += r * b;
      sums.ab += a * b;
      sums.bb += b * b;
    }
    zeroLevel = alpha * y[i]! + q * zeroLevel;
    qPower *= q;
  }
  if (fixedTheta !== undefined) {
    const solved = solveTwoUnknowns(sums, { a: true, b: false });
    return { alpha, initialLevel: solved.a, kappa: fixedKappa, sumOfSquares: solved.sumOfSquares };
  }
  const free = solveTwoUnknowns(sums, { a: true, b: true });
  if (free.b >= 0 && free.b <= KAPPA_MAX) return { alpha, initialLevel: free.a, kappa: free.b, sumOfSquares: free.sumOfSquares };
  // The profile over κ is a convex parabola: the bounded optimum is the nearer bound.
  const kappa = free.b < 0 ? 0 : KAPPA_MAX;
  const shifted = { ...sums, rr: sums.rr + 2 * kappa * sums.rb + kappa * kappa * sums.bb, ra: sums.ra + kappa * sums.ab };
  const solved = solveTwoUnknowns(shifted, { a: true, b: false });
  return { alpha, initialLevel: solved.a, kappa, sumOfSquares: solved.sumOfSquares };
}

/** α over its bounds: the best of a grid, then golden-section search between its neighbours. */
function searchAlpha(y: Float64Array, line: { intercept: number; slope: number }, fixedTheta: number | undefined): ThetaSolution {
  const [low, high] = OPTIMIZED_THETA_BOUNDS.alpha;
  const gridSize = 18;
  const grid = Array.from({ length: gridSize + 1 }, (_, k) => low + ((high - low) * k) / gridSize);
  const solutions = grid.map((a) => solveForAlpha(y, line, a, fixedTheta));
  let bestIndex = 0;
  for (let k = 1; k < solutions.length; k++) if (solutions[k]!.sumOfSquares < solutions[bestIndex]!.sumOfSquares) bestIndex = k;
  let left = grid[Math.max(0, bestIndex - 1)]!;
  let right = grid[Math.min(gridSize, bestIndex + 1)]!;
  let best = solutions[bestIndex]!;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = right - ratio * (right - left);
  let x2 = left + ratio * (right - left);
  let f1 = solveForAlpha(y, line, x1, fixedTheta);
  let f2 = solveForAlpha(y, line, x2, fixedTheta);
  while (right - left > 1e-6) {
    if (f1.sumOfSquares < f2.sumOfSquares) {
      right = x2;
      x2 = x1;
      f2 = f1;
      x1 = right - ratio * (right - left);
      f1 = solveForAlpha(y, line, x1, fixedTheta);
    } else {
      left = x1;
      x1 = x2;
      f1 = f2;
      x2 = left + ratio * (right - left);
      f2 = solveForAlpha(y, line, x2, fixedTheta);
    }
  }
  for (const candidate of [f1, f2]) if (candidate.sumOfSquares < best.sumOfSquares) best = candidate;
  return best;
}
