import { ModelConfigError, ModelError } from '../../errors.ts';
import { backtest, type BacktestResult } from './backtest.ts';
import { DEFAULT_CALIBRATION } from './conformal.ts';
import { maxRollingOrigins } from './rolling-origin.ts';
import { drift } from './drift.ts';
import { ets } from './ets.ts';
import { readSeries, stateBase, wrapFitted, type AutoCandidateScore, type AutoSelection, type AutoState, type FittedForecaster, type Forecaster, type SeriesInput } from './forecaster.ts';
import { naive, seasonalNaive } from './naive.ts';
import { optimizedTheta } from './optimized-theta.ts';
import { theta } from './theta.ts';

export interface AutoOptions {
  /** The horizon the choice is made for: each selection fold forecasts this many points. @defaultValue 10 */
  horizon?: number;
  /**
   * Selection folds (rolling origins); fewer when the series is short. Their errors also
   * calibrate conformal intervals, hence the same defaults as `forecastWithIntervals`.
   * @defaultValue 20
   */
  folds?: number;
  /** Points between selection origins. @defaultValue 3 */
  step?: number;
  /**
   * Season length: adds seasonal naive and seasonal adjustment of the Theta models to the default
   * candidates, and scales MASE by the seasonal naive error. @defaultValue none
   */
  period?: number;
  /**
   * The candidates, simplest first (a tie goes to the earlier one). Naive is used as the fallback
   * whatever the list. @defaultValue {@link defaultAutoCandidates}
   */
  candidates?: readonly Forecaster[];
  /**
   * Relative margin within which a simpler candidate counts as tied with the best and wins:
   * a more complex model must beat it by more than this share of MASE. @defaultValue 0.03
   */
  tieTolerance?: number;
  /** Fewest selection folds worth a choice; shorter series fall back to naive. @defaultValue 3 */
  minFolds?: number;
}

/**
 * naive, seasonal naive (with a period), drift, ETS (variant by AICc), Theta and the optimised
 * Theta model (seasonally adjusted with a period): in this order, which is the order of
 * simplicity ties are settled by.
 */
export function defaultAutoCandidates(period?: number): Forecaster[] {
  const seasonal = period !== undefined && period > 1;
  return [naive(), ...(seasonal ? [seasonalNaive(period)] : []), drift(), ets(), theta(seasonal ? { period } : {}), optimizedTheta(seasonal ? { period } : {})];
}

/**
 * Automatic model choice by backtest: on each series it is fitted on, every candidate is
 * backtested on the same rolling origins (the last ending at the series' end), the one with the
 * lowest mean MASE is kept (a simpler one within `tieTolerance` wins), and it is refitted on the
 * whole series. The fitted model records every candidate's scores and the chosen one's backtest
 * errors by step (for conformal intervals). A series too short for `minFolds` folds gets the
 * naive forecast (`reason: 'too-short'`), and so does one on which no candidate could be scored
 * (`unscored`: a constant series has no MASE).
 */
export function autoForecaster(options: AutoOptions = {}): Forecaster {
  const { horizon = 10, folds = DEFAULT_CALIBRATION.folds, step = DEFAULT_CALIBRATION.step, period, tieTolerance = 0.03, minFolds = 3 } = options;
  for (const [field, value] of Object.entries({ horizon, folds, step, minFolds })) {
    if (!Number.isInteger(value) || value < 1) throw new ModelConfigError(field, `must be a positive integer, got ${value}`);
  }
  if (!(tieTolerance >= 0)) throw new ModelConfigError('tieTolerance', `must be ≥ 0, got ${tieTolerance}`);
  if (period !== undefined && (!Number.isInteger(period) || period < 1)) throw new ModelConfigError('period', `must be a positive integer, got ${period}`);
  const candidates = options.candidates ?? defaultAutoCandidates(period);
  if (candidates.length === 0) throw new ModelConfigError('candidates', 'must not be empty');
  if (candidates.some((candidate) => candidate.method === 'auto')) throw new ModelConfigError('candidates', 'must not contain auto');
  const fallback = naive();
  const seasonalPeriod = period !== undefined && period > 1 ? period : 1;
  // MASE needs two training points (one naive step), seasonal MASE period + 1.
  const minTrain = seasonalPeriod + 1;
  return {
    method: 'auto',
    label: 'auto',
    minLength: 1,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, 1, 'auto');
      // Every candidate on the same folds, as many as fit with the longest minimum training
      // length; on a shorter series, as many as fit at all, skipping candidates that cannot train.
      const longestNeed = Math.max(minTrain, ...candidates.map((candidate) => candidate.minLength));
      const foldsForAll = Math.min(folds, maxRollingOrigins(values.length, { horizon, step, minTrain: longestNeed }));
      const foldCount = foldsForAll >= minFolds ? foldsForAll : Math.min(folds, maxRollingOrigins(values.length, { horizon, step, minTrain }));
      const firstTrain = values.length - horizon - (foldCount - 1) * step;
      const scored: { candidate: Forecaster; result: BacktestResult }[] = [];
      const scores: AutoCandidateScore[] = candidates.map((candidate) => {
        if (foldCount < minFolds) return { label: candidate.label, meanMase: null, meanMae: null, skipped: `the series holds ${Math.max(0, foldCount)} of ${minFolds} folds` };
        if (candidate.minLength > firstTrain) {
          return { label: candidate.label, meanMase: null, meanMae: null, skipped: `needs ${candidate.minLength} points, the first fold trains on ${firstTrain}` };
        }
        let result: BacktestResult;
        try {
          result = backtest(values, candidate, { folds: foldCount, horizon, step, seasonalPeriod });
        } catch (error) {
          // A deliberate refusal (too little data in a fold, say) rules the candidate out; a bug does not hide here.
          if (error instanceof ModelError) return { label: candidate.label, meanMase: null, meanMae: null, skipped: error.message };
          throw error;
        }
        if (result.mean.mase === null || !Number.isFinite(result.mean.mase)) {
          return { label: candidate.label, meanMase: null, meanMae: result.mean.mae, skipped: 'MASE undefined (a constant training part)' };
        }
        scored.push({ candidate, result });
        return { label: candidate.label, meanMase: result.mean.mase, meanMae: result.mean.mae };
      });
      const choice = choose(scored, tieTolerance);
      const chosen = choice ? choice.candidate : fallback;
      const model = chosen.fit(values);
      const selection: AutoSelection = {
        chosen: chosen.label,
        reason: choice ? choice.reason : foldCount < minFolds ? 'too-short' : 'unscored',
        horizon,
        folds: choice ? foldCount : 0,
        candidates: scores,
        residualsByStep: choice ? choice.result.residualsByStep : [],
        forecastsByStep: choice ? choice.result.forecastsByStep : [],
      };
      const inner = model.toState();
      if (inner.method === 'auto') throw new ModelConfigError('candidates', 'must not contain auto'); // ruled out above; narrows the type
      return wrapAuto({ ...stateBase(`auto: ${model.label}`, values, model.fitted), method: 'auto', model: inner, selection }, model);
    },
  };
}

/** The lowest mean MASE; the first candidate within `tolerance` of it when that is an earlier, simpler one. */
function choose(scored: { candidate: Forecaster; result: BacktestResult }[], tolerance: number) {
  if (scored.length === 0) return undefined;
  const best = Math.min(...scored.map((s) => s.result.mean.mase!));
  const first = scored.find((s) => s.result.mean.mase! <= best * (1 + tolerance))!;
  return { ...first, reason: first.result.mean.mase === best ? ('best-mase' as const) : ('tie-simpler' as const) };
}

/** An auto model around the model it chose (fitted, or restored from `state.model`). */
export function wrapAuto(state: AutoState, chosen: FittedForecaster): FittedForecaster {
  return wrapFitted(state, (_, horizon) => chosen.forecast(horizon));
}
