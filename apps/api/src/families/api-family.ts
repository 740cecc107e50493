import type { FastifyInstance } from 'fastify';
import type { ModelKind, PredictPayload } from '@mlq/jobs';

/**
 * What the API knows of a model family beyond its spec (`@mlq/specs`): the checks that need the
 * dataset catalog or a model's record, run before a job is enqueued so a request that cannot work
 * gets its 400/404 at once. The worker checks again.
 */
export interface ApiFamily<TrainPayload, Model> {
  kind: ModelKind;
  /** Whether its predictions can stream (`POST /v1/predict?stream=true`). */
  streams: boolean;
  /** Checks what the schema cannot: the dataset exists, is of the family's kind and large enough for the params. */
  checkTraining(app: FastifyInstance, payload: TrainPayload): Promise<void>;
  /** Checks a prediction against the model it names (e.g. given history covers the model's window). */
  checkPredict(model: Model, payload: PredictPayload): void;
}
