import { loadPriceModel, PriceModel } from '@mlq/models';
import { scopedArtifacts, type PredictPayload, type PricePredictResult, type PriceModelRecord } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { nextDates } from '../forecast-dates.ts';
import { expectLoaded } from './loaded-model.ts';

/** Forecasts with a registered price model, loading it into the cache on a miss. */
/** The forecast returns to the event loop between steps (a 365-step forecast is long); `signal` stops it there. */
export async function predictPrice(ctx: ProcessorContext, record: PriceModelRecord, payload: PredictPayload, signal?: AbortSignal): Promise<PricePredictResult> {
  const horizon = payload.horizon ?? record.horizon;
  const { value: forecast, hit } = await ctx.cache.useAsync(
    record.id,
    async () => {
      const model = await loadPriceModel(scopedArtifacts(ctx.store, record.artifactPrefix));
      return { model, bytes: model.byteSize() };
    },
    (model) => expectLoaded(model, PriceModel, record).forecast(horizon, payload.history, signal ? { signal } : {}),
  );
  const dated = !payload.history && record.lastDate && record.dateStepDays;
  return {
    kind: 'price',
    modelId: record.id,
    name: record.name,
    version: record.version,
    horizon,
    forecast,
    dates: dated ? nextDates(record.lastDate!, record.dateStepDays!, horizon) : null,
    cached: hit,
    backend: ctx.backend.name,
  };
}
