import type { ModelRecord } from '@mlq/jobs';
import type { LoadedModel } from '../context.ts';

/** The cache holds every family under its model id; a record's kind says which class to expect. */
export function expectLoaded<T extends LoadedModel>(model: LoadedModel, type: abstract new (...args: never[]) => T, record: ModelRecord): T {
  if (!(model instanceof type)) throw new Error(`model ${record.id} (${record.kind}) loaded as ${model.constructor.name}`);
  return model;
}
