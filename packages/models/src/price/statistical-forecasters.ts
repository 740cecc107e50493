import { DEFAULT_SEASONAL_PERIOD, type PriceStatisticalSettings, type StatisticalPriceArchitecture } from '@mlq/specs';
import { autoForecaster, defaultAutoCandidates } from './forecasting/auto.ts';
import { drift } from './forecasting/drift.ts';
import { ets } from './forecasting/ets.ts';
import type { AutoState, FittedForecaster, Forecaster } from './forecasting/forecaster.ts';
import { naive, seasonalNaive } from './forecasting/naive.ts';
import { optimizedTheta } from './forecasting/optimized-theta.ts';
import { theta } from './forecasting/theta.ts';

/** Wraps each specification a training fits (auto's candidates included); identity when nothing is shared. */
export type ShareFits = (forecaster: Forecaster) => Forecaster;

/**
 * The forecaster specification of a statistical architecture: `seasonal-naive` repeats the last
 * `period`; `theta`, `optimized-theta` and `auto` adjust for (and, auto, add candidates with) a
 * season when `period` is given. `horizon` is what auto chooses for.
 */
export function statisticalForecaster(
  architecture: StatisticalPriceArchitecture,
  settings: Pick<PriceStatisticalSettings, 'period'>,
  horizon: number,
  share: ShareFits = (f) => f,
): Forecaster {
  const { period } = settings;
  const seasonal = period === undefined ? {} : { period };
  switch (architecture) {
    case 'naive':
      return share(naive());
    case 'seasonal-naive':
      return share(seasonalNaive(period ?? DEFAULT_SEASONAL_PERIOD));
    case 'drift':
      return share(drift());
    case 'ets':
      return share(ets());
    case 'theta':
      return share(theta(seasonal));
    case 'optimized-theta':
      return share(optimizedTheta(seasonal));
    case 'auto':
      return share(autoForecaster({ horizon, ...seasonal, candidates: defaultAutoCandidates(period).map(share) }));
  }
}

/**
 * What a fitted statistical model is refitted as on new data (a forecast from `history`, the
 * holdout's one-step forecasts): the same specification, and for auto the candidate it chose (so
 * its choice, skill and intervals still describe what forecasts).
 */
export function refitSpecification(
  architecture: StatisticalPriceArchitecture,
  settings: Pick<PriceStatisticalSettings, 'period'>,
  fitted: FittedForecaster,
  horizon: number,
  share?: ShareFits,
): Forecaster {
  if (architecture !== 'auto') return statisticalForecaster(architecture, settings, horizon, share);
  const { chosen } = (fitted.toState() as AutoState).selection;
  const candidate = defaultAutoCandidates(settings.period).find((c) => c.label === chosen) ?? naive();
  return share ? share(candidate) : candidate;
}
