/**
 * `npx tsx bench/forecast-accuracy.ts`: accuracy of the statistical price forecasters on the
 * bundled crypto data (issue 13's measures). Prints figures, asserts nothing; no Redis, no tfjs.
 *
 * For every coin with enough history: 5 rolling origins, horizon 10, origins 10 apart (the last
 * test window ends at the coin's last day), each model fitted on the days before the origin only.
 * Per model: the geometric mean over coins of MASE (each coin's mean over its 5 folds; the scale is
 * the in-sample naive one-step MAE of the fold's training part, which on coins whose price rose
 * many-fold is small next to recent moves, hence values far above 1 for every model), the same of
 * MASE and of RMSE relative to naive's on the coin (the issue's 1.24× LSTM figure is the RMSE
 * ratio), the share of coins where its MASE is below naive's, and the empirical coverage of 80%
 * conformal intervals.
 *
 * Intervals never see the folds they are scored on: for an origin T, the 10/90% offsets of each
 * horizon step come from a backtest of the same model on the days before T only (20 origins 3
 * days apart, the last one's test window ending at T − 1: `forecastWithIntervals`' defaults).
 * Coverage is shown for absolute errors and for errors relative to the forecast (prices move
 * in proportion to their level). `auto` chooses on exactly those 20 folds (its defaults), so its
 * own selection errors calibrate it.
 *
 * BENCH_QUICK=1: ten coins only (a smoke test of this script).
 */
import { cpus, loadavg } from 'node:os';
import { findBuiltinDataset } from '@mlq/datasets';
import { applyConformal, backtest, calibrateConformal, DEFAULT_CALIBRATION, type ForecastErrors } from '@mlq/models';
import { autoForecaster, drift, ets, linearTrend, naive, optimizedTheta, seasonalNaive, theta, type AutoState, type Forecaster } from '@mlq/models';
import { meanAbsoluteScaledError, rootMeanSquaredError } from '@mlq/models';

const HORIZON = 10;
const ORIGINS = 5;
const ORIGIN_STEP = 10;
/** Training days before the earliest calibration origin. */
const MIN_TRAIN = 30;
const QUANTILES = [0.1, 0.9];

const quick = process.env.BENCH_QUICK === '1';

interface CoinScore {
  mase: number;
  rmse: number;
  /** Actuals inside the 80% band: absolute and relative calibration. */
  inside: { absolute: number; relative: number };
  points: number;
  chosen: string[];
}

/** Scored origins' training lengths, earliest first. */
const scoredOrigins = (n: number) => Array.from({ length: ORIGINS }, (_, k) => n - HORIZON - (ORIGINS - 1 - k) * ORIGIN_STEP);

/**
 * At each scored origin: calibration errors from a backtest on the days before it (for `auto`,
 * its own selection folds), a fit on those days, a forecast, its scores and whether each actual
 * falls inside the two 80% bands.
 */
function scoreModel(series: number[], forecaster: Forecaster): CoinScore {
  const score: CoinScore = { mase: 0, rmse: 0, inside: { absolute: 0, relative: 0 }, points: 0, chosen: [] };
  for (const origin of scoredOrigins(series.length)) {
    const train = series.slice(0, origin);
    const actual = series.slice(origin, origin + HORIZON);
    const errors: ForecastErrors =
      forecaster.method === 'auto'
        ? { residualsByStep: [], forecastsByStep: [] }
        : backtest(train, forecaster, { folds: DEFAULT_CALIBRATION.folds, step: DEFAULT_CALIBRATION.step, horizon: HORIZON });
    const model = forecaster.fit(train);
    const forecast = model.forecast(HORIZON);
    const calibrationErrors = forecaster.method === 'auto' ? (model.toState() as AutoState).selection : errors;
    if (forecaster.method === 'auto') score.chosen.push(model.label.replace(/^auto: /, ''));
    score.mase += meanAbsoluteScaledError(actual, forecast, train)! / ORIGINS;
    score.rmse += rootMeanSquaredError(actual, forecast) / ORIGINS;
    score.points += HORIZON;
    for (const scale of ['absolute', 'relative'] as const) {
      const { lower, upper } = applyConformal(forecast, calibrateConformal(calibrationErrors, { quantiles: QUANTILES, scale }));
      score.inside[scale] += actual.filter((value, j) => value >= lower[j]! && value <= upper[j]!).length;
    }
  }
  return score;
}

const geometricMean = (values: number[]) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const percent = (share: number) => `${(100 * share).toFixed(1)}%`;

async function main(): Promise<void> {
  const collection = await findBuiltinDataset('crypto-top100')!.load();
  const needed = MIN_TRAIN + (DEFAULT_CALIBRATION.folds - 1) * DEFAULT_CALIBRATION.step + HORIZON + (ORIGINS - 1) * ORIGIN_STEP + HORIZON;
  const all = collection.seriesNames();
  let coins = all.filter((name) => collection.closes(name).length >= needed);
  if (quick) coins = coins.slice(0, 10);
  console.log(
    `forecast accuracy — crypto-top100: ${coins.length} of ${all.length} coins with ≥ ${needed} days; ${ORIGINS} origins ${ORIGIN_STEP} days apart, horizon ${HORIZON}; Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores${quick ? ' (quick)' : ''}`,
  );
  console.log(`left out (too short): ${all.filter((name) => !coins.includes(name) && !quick).join(', ') || 'none'}\n`);
  const series = new Map(coins.map((name) => [name, collection.closes(name)]));

  const models: [string, Forecaster][] = [
    ['naive', naive()],
    ['seasonalNaive(7)', seasonalNaive(7)],
    ['drift', drift()],
    ['linearTrend', linearTrend()],
    ['ets(auto)', ets()],
    ['theta', theta()],
    ['theta(7)', theta({ period: 7 })],
    ['optimizedTheta', optimizedTheta()],
    ['auto', autoForecaster({ horizon: HORIZON })],
    ['auto(7)', autoForecaster({ horizon: HORIZON, period: 7 })],
  ];

  const scores = new Map<string, Map<string, CoinScore>>();
  const plainSeconds = new Map<string, number>();
  const seconds = new Map<string, number>();
  for (const [label, forecaster] of models) {
    // The plain backtest: 5 origins, no calibration folds (the scores come from the loop below,
    // which makes the same forecasts, plus the intervals).
    let started = performance.now();
    for (const values of series.values()) backtest(values, forecaster, { folds: ORIGINS, horizon: HORIZON, step: ORIGIN_STEP });
    plainSeconds.set(label, (performance.now() - started) / 1000);
    started = performance.now();
    const perCoin = new Map<string, CoinScore>();
    for (const [coin, values] of series) perCoin.set(coin, scoreModel(values, forecaster));
    seconds.set(label, (performance.now() - started) / 1000);
    scores.set(label, perCoin);
  }

  const naiveScores = scores.get('naive')!;
  const rows = models.map(([label]) => {
    const perCoin = scores.get(label)!;
    const mases = coins.map((coin) => perCoin.get(coin)!.mase);
    const relativeMase = coins.map((coin) => perCoin.get(coin)!.mase / naiveScores.get(coin)!.mase);
    const relativeRmse = coins.map((coin) => perCoin.get(coin)!.rmse / naiveScores.get(coin)!.rmse);
    const beats = coins.filter((coin) => perCoin.get(coin)!.mase < naiveScores.get(coin)!.mase).length;
    const points = coins.reduce((sum, coin) => sum + perCoin.get(coin)!.points, 0);
    const coverage = (scale: 'absolute' | 'relative') => percent(coins.reduce((sum, coin) => sum + perCoin.get(coin)!.inside[scale], 0) / points);
    return [
      label,
      geometricMean(mases).toFixed(3),
      geometricMean(relativeMase).toFixed(3),
      geometricMean(relativeRmse).toFixed(3),
      label === 'naive' ? '—' : percent(beats / coins.length),
      coverage('absolute'),
      coverage('relative'),
      `${plainSeconds.get(label)!.toFixed(1)} s`,
      `${seconds.get(label)!.toFixed(1)} s`,
    ];
  });
  const header = ['model', 'MASE (geo mean)', 'MASE/naive (geo)', 'RMSE/naive (geo)', 'beats naive', '80% cover (abs)', '80% cover (rel)', 'backtest', 'with intervals'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));

  for (const label of ['auto', 'auto(7)']) {
    const counts = new Map<string, number>();
    for (const coin of coins) for (const chosen of scores.get(label)!.get(coin)!.chosen) counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
    console.log(
      `\n${label} chose (coins × origins): ${[...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => `${name} ${count}`)
        .join(', ')}`,
    );
  }
  const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
  console.log(
    `\ntimes, one thread (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores at the end): the 5-origin backtest of every model over ${coins.length} coins ${sum(plainSeconds.values()).toFixed(1)} s, of which auto and auto(7) ${(plainSeconds.get('auto')! + plainSeconds.get('auto(7)')!).toFixed(1)} s (each auto fit backtests its candidates on ${DEFAULT_CALIBRATION.folds} folds); with intervals (a ${DEFAULT_CALIBRATION.folds}-fold calibration backtest at each origin) ${sum(seconds.values()).toFixed(1)} s`,
  );
}

await main();
