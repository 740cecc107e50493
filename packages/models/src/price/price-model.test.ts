import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { generateSeasonalSeries } from '../samples/synthetic.ts';
import { InvalidSeriesError, ModelConfigError, ModelError, NotEnoughDataError } from '../errors.ts';
import { trainPriceModel } from './train.ts';
import { loadPriceModel } from './price-model.ts';

beforeAll(() => initBackend('auto'));

const series = generateSeasonalSeries({ length: 200, period: 12, amplitude: 10, noise: 1, level: 100, seed: 3 });
const tiny = { window: 12, units1: 8, units2: 8, epochs: 2, batchSize: 64, learningRate: 0.01 };

describe('PriceModel save, load and forecast', () => {
  it('round-trips an LSTM through ArtifactIO and predicts identically; no tensor left behind', async () => {
    const baseline = tf.memory().numTensors;
    const model = await trainPriceModel(series, { kind: 'lstm', params: tiny, seed: 2 });
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()].sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    // Standard tfjs layers artifacts: float32 weights, topology + manifest in model.json.
    const modelJson = JSON.parse(new TextDecoder().decode(io.files.get('model.json')));
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(io.files.get('weights.bin')!.byteLength).toBe(model.byteSize() - JSON.stringify(model.metadata).length);
    const metadata = JSON.parse(new TextDecoder().decode(io.files.get('metadata.json')));
    expect(metadata).toMatchObject({ kind: 'lstm', horizon: 10, holdout: 10, trainedPoints: 190, params: { ...tiny, scaling: 'relative' } });
    expect(Object.keys(metadata)).toEqual(expect.arrayContaining(['scaler', 'historyTail', 'metrics', 'backend', 'createdAt', 'tfjsVersion']));

    const loaded = await loadPriceModel(io);
    expect(await loaded.forecast(7)).toEqual(await model.forecast(7));
    const history = series.slice(0, 50);
    expect(await loaded.forecast(3, history)).toEqual(await model.forecast(3, history));
    expect(loaded.metrics).toEqual(model.metrics);
    expect(loaded.metadata).toEqual(model.metadata);
    expect(loaded.byteSize()).toBe(model.byteSize());

    model.dispose();
    for (let i = 0; i < 100; i++) expect(await loaded.forecast(3)).toHaveLength(3);
    loaded.dispose();
    loaded.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(baseline);
    await expect(loaded.forecast()).rejects.toThrow(/disposed/);
  });

  it('round-trips a linear model as metadata.json alone', async () => {
    const model = await trainPriceModel(series, { kind: 'linear', horizon: 5 });
    const io = memoryArtifacts();
    await model.save(io);
    expect([...io.files.keys()]).toEqual(['metadata.json']);
    const loaded = await loadPriceModel(io);
    expect(loaded.kind).toBe('linear');
    expect(await loaded.forecast()).toEqual(await model.forecast());
    expect(await loaded.forecast(4, [5, 6, 7])).toEqual(await model.forecast(4, [5, 6, 7]));
    expect(loaded.metrics).toEqual(model.metrics);
  });

  it('explains what is wrong with a forecast request or a stored model', async () => {
    const model = await trainPriceModel(series, { kind: 'lstm', params: { ...tiny, epochs: 1 } });
    await expect(model.forecast(3, series.slice(0, 11))).rejects.toThrow(new NotEnoughDataError(11, 12, 'a forecast from history with window 12'));
    await expect(model.forecast(3, [...series.slice(0, 20), Number.NaN])).rejects.toThrow(new InvalidSeriesError('history value at index 20 is NaN, not a finite number', 20));
    await expect(model.forecast(3, [...series.slice(0, 20), 0])).rejects.toThrow(/history value at index 11 is 0; this model uses relative scaling/);
    await expect(model.forecast(366)).rejects.toThrow(new ModelConfigError('horizon', 'must be <= 365, got 366'));
    await expect(model.forecast(2.5)).rejects.toThrow(/horizon must be an integer/);
    model.dispose();

    const io = memoryArtifacts();
    await io.write('metadata.json', new TextEncoder().encode('{"format":"something-else"}'));
    await expect(loadPriceModel(io)).rejects.toThrow(new ModelError('metadata.json is not a price model (format something-else)'));
    await expect(loadPriceModel(memoryArtifacts())).rejects.toThrow(/no artifact metadata.json/);
  });

  // ../shared beside the repository root (the real data the project is measured on).
  const bitcoinCsv = fileURLToPath(new URL('../../../../../shared/data/crypto-top100/Bitcoin.csv', import.meta.url));
  it.skipIf(!existsSync(bitcoinCsv))('trains a tiny LSTM on real Bitcoin closes and forecasts 10 plausible values', async () => {
    // Crude parse of the Close column (the 5th; dates are quoted and contain a comma); rows are newest first.
    const closes = readFileSync(bitcoinCsv, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split('",')[1]!.split(',')[3]))
      .reverse();
    expect(closes.length).toBeGreaterThan(1000);
    const model = await trainPriceModel(closes, { kind: 'lstm', params: { window: 10, units1: 8, units2: 8, epochs: 2, batchSize: 256 }, seed: 1 });
    const forecast = await model.forecast(10);
    const last = closes.at(-1)!;
    expect(forecast).toHaveLength(10);
    expect(forecast.every((v) => Number.isFinite(v) && v > last / 2 && v < last * 2)).toBe(true);
    expect(Number.isFinite(model.metrics.model.rmse)).toBe(true);
    model.dispose();
  });
});
