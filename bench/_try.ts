import { findBuiltinDataset } from '@mlq/datasets';
import { backtest } from '../packages/models/src/price/evaluation/index.ts';
import { naive, autoForecaster, type Forecaster } from '../packages/models/src/price/statistical/index.ts';
const c = await findBuiltinDataset('crypto-top100')!.load();
const models: Forecaster[] = [naive(), { ...autoForecaster({ tieTolerance: 0.03 }), label: 'tol0.03' }, { ...autoForecaster({ tieTolerance: 0.1 }), label: 'tol0.1' }, { ...autoForecaster({ step: 1 }), label: 'step1' }, { ...autoForecaster({ step: 5, folds: 20 }), label: 'step5' }];
const coins = c.seriesNames().filter(n => c.closes(n).length >= 147);
const res = new Map<string, number[]>();
for (const coin of coins) for (const m of models) { const r = backtest(c.closes(coin), m, { folds: 5, horizon: 10 }); (res.get(m.label) ?? res.set(m.label, []).get(m.label)!).push(r.mean.mase!); }
const nv = res.get('naive')!;
for (const [l, v] of res) { const rel = v.map((x, i) => Math.log(x / nv[i]!)); console.log(l.padEnd(20), Math.exp(rel.reduce((a, b) => a + b) / rel.length).toFixed(4), (100 * v.filter((x, i) => x < nv[i]!).length / v.length).toFixed(1) + '%'); }
