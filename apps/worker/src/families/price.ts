import type { Job } from 'bullmq';
import { describeCalibration, loadPriceModel, PriceModel, trainPriceModel, type TrainProgress as ModelProgress } from '@mlq/models';
import {
  defaultPriceArchitecture,
  scopedArtifacts,
  type PredictPayload,
  type PriceModelRecord,
  type PricePredictResult,
  type PriceProgress,
  type PriceTrainPayload,
  type PriceTrainResult,
} from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { nextDates, typicalStepDays } from '../forecast-dates.ts';
import { JobCheckpoints } from '../training-checkpoints.ts';
import { defaultModelName, saveAndRegister } from '../register-model.ts';
import { useModel, type WorkerFamily } from './worker-family.ts';

/**
 * Reports each epoch as job progress, with an ETA from the mean epoch time of this attempt, and
 * where the checkpoints stand.
 */
export function priceProgressReporter(job: Job, startedAt: number, checkpoints: JobCheckpoints) {
  const firstEpoch = checkpoints.resume?.epoch ?? 0;
  return async (p: ModelProgress) => {
    const perEpoch = (Date.now() - startedAt) / Math.max(1, p.epoch - firstEpoch);
    const progress: PriceProgress = {
      kind: 'price',
      ...p,
      etaMs: Math.round(perEpoch * (p.epochs - p.epoch)),
      ...checkpoints.resumedFrom,
      checkpointEpoch: checkpoints.newest?.epoch ?? null,
      checkpointStep: checkpoints.newest?.step ?? null,
    };
    await job.updateProgress(progress);
  };
}

/**
 * Trains a price model on one series, stores and registers it, and keeps it hot in the cache. An
 * LSTM checkpoints at each epoch end and when the worker releases the job at shutdown; an attempt
 * that finds a checkpoint (a retry after a crash, a released job) continues from it. The result
 * carries the model's evaluation: its skill against naive, the backtest behind it, how its
 * intervals are calibrated, and auto's choice.
 */
async function trainPrice(ctx: ProcessorContext, job: Job, payload: PriceTrainPayload, signal: AbortSignal | undefined): Promise<PriceTrainResult> {
  const startedAt = Date.now();
  const architecture = payload.architecture ?? defaultPriceArchitecture;
  const { collection } = await ctx.datasets.series(payload.dataset);
  const closes = collection.closes(payload.series);
  const dates = collection.dates(payload.series);
  const checkpoints = await JobCheckpoints.open(ctx, job, signal);
  let model: PriceModel;
  try {
    model = await trainPriceModel(closes, {
      kind: architecture,
      ...(payload.params ? { params: payload.params } : {}),
      ...(payload.horizon !== undefined ? { horizon: payload.horizon } : {}),
      ...(payload.holdout !== undefined ? { holdout: payload.holdout } : {}),
      ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
      ...(signal ? { signal } : {}),
      ...(checkpoints.resume ? { resumeFrom: checkpoints.resume.io } : {}),
      checkpoint: checkpoints.hook,
      threads: ctx.trainingThreads,
      onEpochEnd: priceProgressReporter(job, startedAt, checkpoints),
    });
  } catch (error) {
    await checkpoints.failed(error);
    throw error;
  }
  const record = await saveAndRegister(ctx, job, model, {
    name: payload.name ?? defaultModelName(payload.dataset, payload.series, architecture),
    kind: 'price',
    architecture,
    dataset: payload.dataset,
    series: payload.series,
    params: model.params as unknown as Record<string, unknown>,
    metrics: model.metrics as unknown as Record<string, unknown>,
    horizon: model.metadata.horizon,
    lastDate: dates.at(-1) ?? null,
    skill: model.evaluation.skill,
    dateStepDays: typicalStepDays(dates),
  });
  await checkpoints.completed();
  const { skill, backtest, calibration, unavailable } = model.evaluation;
  return {
    modelId: record.id,
    name: record.name,
    version: record.version,
    kind: 'price',
    architecture,
    method: model.method,
    metrics: model.metrics,
    skill,
    backtest,
    calibration: calibration && describeCalibration(calibration),
    selection: model.selection,
    unavailable,
    epochs: model.params.epochs ?? 0,
    durationMs: Date.now() - startedAt,
    backend: ctx.backend.name,
    ...checkpoints.resumedFrom,
  };
}

async function loadPrice(ctx: ProcessorContext, record: PriceModelRecord): Promise<PriceModel> {
  return loadPriceModel(scopedArtifacts(ctx.store, record.artifactPrefix));
}

/**
 * Forecasts with a registered price model, loading it into the cache on a miss, with its
 * intervals and its skill against naive. The forecast returns to the event loop between steps (a
 * 365-step forecast is long); `signal` stops it there.
 */
async function predictPrice(ctx: ProcessorContext, _job: Job, record: PriceModelRecord, payload: PredictPayload, signal: AbortSignal | undefined): Promise<PricePredictResult> {
  const horizon = payload.horizon ?? record.horizon;
  const { value, hit } = await useModel(ctx, priceWorkerFamily, record, (model) => model.forecastWithIntervals(horizon, payload.history, signal ? { signal } : {}));
  const dated = !payload.history && record.lastDate && record.dateStepDays;
  return {
    kind: 'price',
    modelId: record.id,
    name: record.name,
    version: record.version,
    horizon,
    forecast: value.forecast,
    dates: dated ? nextDates(record.lastDate!, record.dateStepDays!, horizon) : null,
    method: value.method,
    intervals: value.intervals,
    skill: value.skill,
    unavailable: value.unavailable,
    cached: hit,
    backend: ctx.backend.name,
  };
}

/** Price forecasting (statistical architectures, LSTM or linear) on one series of a price dataset. */
export const priceWorkerFamily: WorkerFamily<'price', PriceModel> = {
  kind: 'price',
  modelClass: PriceModel,
  load: loadPrice,
  train: trainPrice,
  predict: predictPrice,
};
