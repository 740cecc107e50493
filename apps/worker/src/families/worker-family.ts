import type { Job } from 'bullmq';
import type { ModelKind, ModelRecord, PredictPayload, PredictResult, TrainPayload, TrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import type { TrainedModel } from '../model-cache.ts';

type OfKind<Union, K extends ModelKind> = Extract<Union, { kind: K }>;

/**
 * One model family as the worker runs it: the spec (`@mlq/specs`) says what a job of the kind
 * looks like, this says how to train, load and predict. Every family is one object of this shape,
 * listed in `families/index.ts`; processors dispatch through the list.
 */
export interface WorkerFamily<K extends ModelKind = ModelKind, Model extends TrainedModel = TrainedModel> {
  readonly kind: K;
  /** The class of the family's trained model: what the cache must hold under a record of this kind. */
  readonly modelClass: abstract new (...args: never[]) => Model;
  /** Loads a registered model from the artifact store (what the cache calls on a miss). */
  load(ctx: ProcessorContext, record: OfKind<ModelRecord, K>): Promise<Model>;
  /** The dataset facts a training's memory estimate needs; throws when the dataset or series cannot be read. */
  /** Trains, stores and registers a model, keeping it hot in the cache; reports progress on `job`. */
  train(ctx: ProcessorContext, job: Job, payload: OfKind<TrainPayload, K>, signal: AbortSignal | undefined): Promise<OfKind<TrainResult, K>>;
  /** Runs a registered model (loaded through the cache) on a payload already checked against the kind's fields. */
  predict(ctx: ProcessorContext, job: Job, record: OfKind<ModelRecord, K>, payload: PredictPayload, signal: AbortSignal | undefined): Promise<OfKind<PredictResult, K>>;
}

/**
 * Runs `use` on the model of `record`, loading it through the family on a cache miss. The cache
 * holds every family under its model id, so what it returns is checked against the family's class.
 */
export async function useModel<K extends ModelKind, Model extends TrainedModel, R>(
  ctx: ProcessorContext,
  family: WorkerFamily<K, Model>,
  record: OfKind<ModelRecord, K>,
  use: (model: Model) => Promise<R>,
): Promise<{ value: R; hit: boolean }> {
  return ctx.cache.useAsync(
    record.id,
    async () => {
      const model = await family.load(ctx, record);
      return { model, bytes: model.byteSize() };
    },
    (loaded) => {
      if (!(loaded instanceof family.modelClass)) throw new Error(`model ${record.id} (${record.kind}) loaded as ${loaded.constructor.name}`);
      return use(loaded);
    },
  );
}
