import type { FastifyInstance } from 'fastify';
import {
  defaultPriceArchitecture,
  ModelConfigError,
  requiredHistoryLength,
  requiredSeriesLength,
  resolvePriceParams,
  type PredictPayload,
  type PriceArchitecture,
  type PriceModelRecord,
  type PriceParams,
  type PriceTrainPayload,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import type { ApiFamily } from './api-family.ts';

/**
 * Refuses (400, naming `body/params/<field>`) params the architecture does not take or out of
 * their bounds, with the spec's words: `period is not a price ets parameter (known: quantiles)`.
 * The LSTM's own fields were checked by the schema; a linear model ignores them.
 */
export function checkPriceParams(architecture: PriceArchitecture, params: PriceParams | undefined): void {
  try {
    resolvePriceParams(architecture, params);
  } catch (error) {
    if (!(error instanceof ModelConfigError)) throw error;
    const field = error.field.replace(/\[(\d+)\]/g, '/$1');
    throw new HttpError(400, `body/params/${error.message}`, `body/params/${field}`);
  }
}

/** The price family's checks before a job is enqueued: the params fit the architecture, the series exists and is long enough; given history covers what the model refits on. */
export const priceApiFamily: ApiFamily<PriceTrainPayload, PriceModelRecord> = {
  kind: 'price',
  streams: false,

  async checkTraining(app: FastifyInstance, payload: PriceTrainPayload): Promise<void> {
    const architecture = payload.architecture ?? defaultPriceArchitecture;
    checkPriceParams(architecture, payload.params);
    const { collection } = await app.catalog.series(payload.dataset);
    const points = collection.closes(payload.series).length;
    const needed = requiredSeriesLength(architecture, payload.params, payload.holdout ?? payload.horizon);
    if (points < needed) {
      throw new HttpError(400, `series "${payload.series}" has ${points} points; ${architecture} with these params needs at least ${needed}`, 'body/series');
    }
  },

  /** A forecast from given history needs the LSTM's window, 2 points for a linear model, what a statistical one refits on. */
  checkPredict(model: PriceModelRecord, payload: PredictPayload): void {
    const { history } = payload;
    if (!history) return;
    const needed = requiredHistoryLength(model.architecture, model.params);
    if (history.length >= needed) return;
    if (model.architecture === 'lstm') throw new HttpError(400, `history has ${history.length} values; model ${model.id} needs at least its window, ${needed}`, 'body/history');
    if (model.architecture === 'linear') throw new HttpError(400, `history needs at least ${needed} values for a linear model`, 'body/history');
    throw new HttpError(400, `history has ${history.length} values; model ${model.id} (${model.architecture}) refits on it and needs at least ${needed}`, 'body/history');
  },
};
