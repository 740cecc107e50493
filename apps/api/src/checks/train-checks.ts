import type { FastifyInstance } from 'fastify';
import type { TrainPayload } from '@mlq/jobs';
import { checkFamilyTraining } from '../families/index.ts';
import { checkTrainingFits } from './memory-checks.ts';

/**
 * Checks what the schema cannot before a job is enqueued: the training fits a worker's memory,
 * then the family's own checks (the dataset exists, is of the kind the family trains on, and is
 * large enough for the params). Answers 400/404 naming the field; the worker checks again (a
 * request that slips through fails its job with the same reason).
 */
export async function checkTrainPayload(app: FastifyInstance, payload: TrainPayload): Promise<void> {
  await checkTrainingFits(app, payload);
  await checkFamilyTraining(app, payload);
}
