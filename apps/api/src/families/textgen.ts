import type { FastifyInstance } from 'fastify';
import { requiredTextCharacters, textGenPresets, type TextGenModelRecord, type TextGenTrainPayload } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';
import type { ApiFamily } from './api-family.ts';

/** The text generator's checks before a job is enqueued: a text dataset long enough for the windows and the validation split. */
export const textGenApiFamily: ApiFamily<TextGenTrainPayload, TextGenModelRecord> = {
  kind: 'textgen',
  streams: true,

  async checkTraining(app: FastifyInstance, payload: TextGenTrainPayload): Promise<void> {
    const preset = payload.preset ?? 'default';
    const seqLength = payload.params?.seqLength ?? textGenPresets[preset].seqLength;
    if (payload.params?.step !== undefined && payload.params.step > seqLength) {
      throw new HttpError(400, `params.step must be <= seqLength (${seqLength}), got ${payload.params.step}`, 'body/params/step');
    }
    const record = await app.catalog.recordOf(payload.dataset, 'text');
    const needed = requiredTextCharacters(payload.params, preset);
    if (record.summary.characters < needed) {
      throw new HttpError(
        400,
        `text dataset ${record.id} has ${record.summary.characters} characters; seqLength ${seqLength} with this validationSplit needs at least ${Number.isFinite(needed) ? needed : `${Number.MAX_SAFE_INTEGER}`}`,
        'body/dataset',
      );
    }
  },

  checkPredict: () => undefined,
};
