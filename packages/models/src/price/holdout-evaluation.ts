import { evaluateErrors, unavailableEvaluation, type PriceEvaluation } from './evaluation.ts';
import { summarizeFolds, type BacktestFold } from './forecasting/backtest.ts';
import { scoreForecast } from './forecasting/metrics.ts';
import type { ConformalScale } from './forecasting/conformal.ts';

export interface HoldoutEvaluationOptions {
  /** Points the model forecasts; the evaluation forecasts min(horizon, holdout) from each origin. */
  horizon: number;
  quantiles: readonly number[];
  scale: ConformalScale;
  /**
   * The model's forecasts of `steps` points after each of `histories` (prefixes of the series,
   * in order: the training part, then it and 1, 2, … points of the holdout): a network fitted on
   * the training part, run from origins it never saw.
   */
  forecastFrom: (histories: number[][], steps: number) => Promise<number[][]>;
}

/**
 * Evaluates a model fitted once on the series less its last `holdout` points (the LSTM: a
 * rolling-origin backtest would retrain it per fold) by forecasting from every origin inside the
 * holdout: origins n − holdout, n − holdout + 1, …, n − steps with steps = min(horizon, holdout),
 * each forecast scored like a backtest fold, naive on the same origins. A holdout of the horizon
 * (the default) gives one origin: a skill from one forecast and no intervals; a holdout of
 * horizon + 19 gives 20 origins, enough for 5–95% quantiles.
 */
export async function evaluateOnHoldout(series: readonly number[], holdout: number, options: HoldoutEvaluationOptions): Promise<PriceEvaluation> {
  const n = series.length;
  const steps = Math.min(options.horizon, holdout);
  const origins = Array.from({ length: holdout - steps + 1 }, (_, k) => n - holdout + k);
  const forecasts = await options.forecastFrom(
    origins.map((origin) => series.slice(0, origin)),
    steps,
  );
  if (!forecasts.every((forecast) => forecast.length === steps && forecast.every(Number.isFinite))) {
    return unavailableEvaluation('the model made non-finite forecasts from origins in its holdout');
  }
  const foldsOf = (label: string, forecastAt: (k: number, origin: number) => number[]): BacktestFold[] =>
    origins.map((origin, k) => {
      const train = series.slice(0, origin);
      const actual = series.slice(origin, origin + steps);
      const forecast = forecastAt(k, origin);
      return {
        index: k,
        trainEnd: origin,
        testStart: origin,
        testEnd: origin + steps,
        model: label,
        forecast,
        actual,
        errors: actual.map((value, j) => value - forecast[j]!),
        scores: scoreForecast(actual, forecast, train),
      };
    });
  const model = summarizeFolds(
    'model',
    steps,
    1,
    foldsOf('model', (k) => forecasts[k]!),
  );
  const baseline = summarizeFolds(
    'naive',
    steps,
    1,
    foldsOf('naive', (_, origin) => new Array<number>(steps).fill(series[origin - 1]!)),
  );
  return evaluateErrors(model, baseline, { method: 'holdout', quantiles: options.quantiles, scale: options.scale });
}
