import { Type, type TProperties } from '@sinclair/typebox';

/**
 * What every trained model's record holds (in the registry, in Redis); the weights live in the
 * artifact store under `artifactPrefix`. Each family adds its own fields (`recordFields` in its
 * spec); the API's `Model` schema is built from these.
 */
export const ModelRecordBaseFields = {
  id: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  dataset: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
  metrics: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  artifactStore: Type.String({ description: 'The kind of artifact store holding the weights (`file`); never a file system path' }),
  artifactPrefix: Type.String(),
  byteSize: Type.Integer(),
  backend: Type.String(),
  trainJobId: Type.String(),
};

/**
 * A family's record fields: `architecture` (its values) plus what only its models have.
 * `internal` fields are kept in the registry but not shown to clients.
 */
export interface FamilyRecordFields {
  architecture: readonly string[];
  fields: TProperties;
  internal?: TProperties;
}
