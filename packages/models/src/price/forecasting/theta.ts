import { ModelConfigError } from '../../errors.ts';
import { checkEtsOptions, etsMinLength, fitEtsVariant } from './ets.ts';
import { readSeries, stateBase, wrapFitted, type FittedForecaster, type Forecaster, type SeriesInput, type ThetaState } from './forecaster.ts';
import { fitTrendLine } from './linear-trend.ts';
import { chooseSeasonalAdjustment, removeSeasonal, restoreSeasonal } from './seasonal-decomposition.ts';

export interface ThetaOptions {
  /**
   * Season length; when given and the series passes the seasonality test, the series is
   * seasonally adjusted by a classical decomposition first and the forecasts reseasonalised
   * (as R's `thetaf` and statsforecast's `Theta`). No adjustment without it.
   */
  period?: number;
  /** Fixes the SES smoothing α (0 < α ≤ 1) instead of estimating it. */
  alpha?: number;
  /** Fixes the SES initial level instead of estimating it. */
  initialLevel?: number;
}

/**
 * The Theta method of Assimakopoulos & Nikolopoulos (2000) in the form Hyndman & Billah (2003)
 * showed it equals, and R's `thetaf` computes: simple exponential smoothing with drift half the
 * least-squares slope b of the series on time,
 *
 *   ŷₙ₊ₕ = ℓₙ + b/2 · (h − 1 + (1 − (1 − α)ⁿ)/α),
 *
 * with α and ℓ₀ of the SES estimated by maximum likelihood (ETS(A,N,N)).
 */
export function theta(options: ThetaOptions = {}): Forecaster {
  const { period, alpha, initialLevel } = options;
  if (period !== undefined && (!Number.isInteger(period) || period < 2)) throw new ModelConfigError('period', `must be an integer ≥ 2, got ${period}`);
  checkEtsOptions({ alpha, initialLevel });
  const label = period === undefined ? 'theta' : `theta(${period})`;
  const minLength = Math.max(2, etsMinLength('simple', { alpha, initialLevel }));
  return {
    method: 'theta',
    label,
    minLength,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, minLength, label);
      const seasonal = chooseSeasonalAdjustment(values, period);
      const adjusted = removeSeasonal(values, seasonal);
      const ses = fitEtsVariant(adjusted, 'simple', { alpha, initialLevel });
      const { slope } = fitTrendLine(adjusted);
      const a = ses.parameters.alpha;
      const driftFactor = (seen: number) => (1 - (1 - a) ** seen) / a;
      const fitted = restoreSeasonal(
        ses.fitted.map((level, t) => level + (slope / 2) * driftFactor(t)),
        seasonal,
        0,
      );
      return restoreTheta({
        ...stateBase(seasonal ? `theta(${seasonal.period}, ${seasonal.type})` : 'theta', values, fitted),
        method: 'theta',
        alpha: a,
        initialLevel: ses.initial.level,
        level: ses.final.level,
        slope,
        seasonal,
      });
    },
  };
}

export function restoreTheta(state: ThetaState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => {
    const carried = (1 - (1 - s.alpha) ** s.length) / s.alpha;
    const adjusted = Array.from({ length: horizon }, (_, j) => s.level + (s.slope / 2) * (j + carried));
    return restoreSeasonal(adjusted, s.seasonal, s.length);
  });
}
