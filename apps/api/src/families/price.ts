import type { FastifyInstance } from 'fastify';
import { requiredHistoryLength, requiredSeriesLength, type PredictPayload, type PriceModelRecord, type PriceTrainPayload } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import type { ApiFamily } from './api-family.ts';

/** The price family's checks before a job is enqueued: the series exists and is long enough; given history covers the window. */
export const priceApiFamily: ApiFamily<PriceTrainPayload, PriceModelRecord> = {
  kind: 'price',
  streams: false,

  async checkTraining(app: FastifyInstance, payload: PriceTrainPayload): Promise<void> {
    const { collection } = await app.catalog.series(payload.dataset);
    const points = collection.closes(payload.series).length;
    const architecture = payload.architecture ?? 'lstm';
    const needed = requiredSeriesLength(architecture, payload.params, payload.holdout ?? payload.horizon);
    if (points < needed) {
      throw new HttpError(400, `series "${payload.series}" has ${points} points; ${architecture} with these params needs at least ${needed}`, 'body/series');
    }
  },

  /** A forecast from given history needs at least the model's window (2 points for a linear model). */
  checkPredict(model: PriceModelRecord, payload: PredictPayload): void {
    const { history } = payload;
    if (!history) return;
    const needed = requiredHistoryLength(model.architecture, Number(model.params.window ?? 0));
    if (history.length >= needed) return;
    if (model.architecture === 'lstm') throw new HttpError(400, `history has ${history.length} values; model ${model.id} needs at least its window, ${needed}`, 'body/history');
    throw new HttpError(400, `history needs at least ${needed} values for a linear model`, 'body/history');
  },
};
