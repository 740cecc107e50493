import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { ModelRecordBaseFields } from '../model-record.ts';
import { Id } from '../schema-parts.ts';
import { exceedsLimits, type MemoryEstimate, type MemoryLimits, type MemoryRefusal } from '../memory.ts';
import { priceFamily } from './price.ts';
import { textGenFamily } from './textgen.ts';
import { seq2seqFamily } from './seq2seq.ts';

export * from './price.ts';
export * from './textgen.ts';
export * from './seq2seq.ts';

/**
 * Every model family, in the order the API documents them. Adding a family is adding its spec
 * file beside these and one entry here; the unions below, the predict body and the checks are
 * built from this list.
 */
export const families = [priceFamily, textGenFamily, seq2seqFamily] as const;
type Families = typeof families;
type Family = Families[number];
export type ModelKind = Family['kind'];
export const modelKinds: readonly ModelKind[] = families.map((family) => family.kind);

/** What one family's spec gives, as the rest of the system reads it. */
export interface FamilySpec {
  kind: string;
  /** Words for messages: `price forecasting`. */
  title: string;
  /** The dataset kind the family trains on. */
  datasetKind: 'price' | 'text' | 'pairs';
  trainPayloadSchema: TSchema;
  trainResultSchema: TSchema;
  progressSchema: TSchema;
  /** The optional fields of `POST /v1/predict` a model of this family takes. */
  predictFields: Record<string, TSchema>;
  predictResultSchema: TSchema;
}
families satisfies readonly FamilySpec[];

/** The spec of a kind. */
export function familyOf<K extends ModelKind>(kind: K): Extract<Family, { kind: K }> {
  return families.find((family) => family.kind === kind) as Extract<Family, { kind: K }>;
}

/** `[A[Key], B[Key], …]` for the tuple `[A, B, …]`: the union members in the list's order, typed. */
type Pluck<List extends readonly unknown[], Key extends PropertyKey> = { -readonly [I in keyof List]: List[I] extends Record<Key, infer Value> ? Value : never };
type Each<Key extends keyof Family> = Pluck<Families, Key>;
const each = <Key extends keyof Family>(key: Key) => families.map((family) => family[key]) as unknown as Each<Key>;

/**
 * One train payload per model family, told apart by `kind`. The API validates a body against the
 * variant its `kind` names (see `trainPayloadVariant`), so errors name that family's fields.
 */
export const TrainPayloadSchema = Type.Union(each('trainPayloadSchema'), {
  description: `A training job: \`kind\` is ${modelKinds
    .map((kind) => `\`${kind}\``)
    .join(', ')
    .replace(/, ([^,]*)$/, ' or $1')}`,
});
export type TrainPayload = Static<typeof TrainPayloadSchema>;

/** The variant of `TrainPayloadSchema` for a kind, or undefined for an unknown one. */
export function trainPayloadVariant(kind: unknown) {
  return TrainPayloadSchema.anyOf.find((variant) => variant.properties.kind.const === kind);
}

export const TrainResultSchema = Type.Union(each('trainResultSchema'));
export type TrainResult = Static<typeof TrainResultSchema>;

/** What a training job reports as progress (`job.progress`, SSE `progress` events), by kind. */
export const TrainProgressSchema = Type.Union(each('progressSchema'));
export type TrainProgress = Static<typeof TrainProgressSchema>;

export const PredictResultSchema = Type.Union(each('predictResultSchema'));
export type PredictResult = Static<typeof PredictResultSchema>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type AllPredictFields = UnionToIntersection<Family['predictFields']>;

/**
 * One body for every model: `model`, then the fields of that model's kind (the API answers 400
 * for a field another kind takes; see `checkPredictFields`).
 */
export const PredictPayloadSchema = Type.Object(
  {
    model: Id('Model id, or a registry name (latest version), `name@latest` or `name@<version>`'),
    ...(Object.assign({}, ...families.map((family) => family.predictFields)) as AllPredictFields),
  },
  { additionalProperties: false },
);
export type PredictPayload = Static<typeof PredictPayloadSchema>;

/** The optional predict fields each kind takes; `model` goes with every kind. */
export const predictFieldsByKind = Object.fromEntries(families.map((family) => [family.kind, Object.keys(family.predictFields)])) as unknown as Record<
  ModelKind,
  readonly (keyof PredictPayload)[]
>;

/**
 * What is wrong with a predict payload for a model of `kind`: a field of another kind, or a
 * missing required one. Undefined when it fits.
 */
export function checkPredictFields(kind: ModelKind, payload: PredictPayload): { field: string; message: string } | undefined {
  const allowed = new Set<string>(['model', ...predictFieldsByKind[kind]]);
  for (const field of Object.keys(payload)) {
    if ((payload as Record<string, unknown>)[field] === undefined || allowed.has(field)) continue;
    const owner = modelKinds.find((k) => (predictFieldsByKind[k] as readonly string[]).includes(field));
    return { field, message: `${field} applies to ${owner ?? 'no'} models; model ${payload.model} is a ${kind} model (its fields: ${[...predictFieldsByKind[kind]].join(', ')})` };
  }
  const check = familyOf(kind).checkPredict as (payload: PredictPayload) => { field: string; message: string } | undefined;
  return check(payload);
}

/** Dataset facts a training's estimate needs, by family (the API has them from the dataset records). */
export type TrainingFacts = Parameters<Family['estimateTrainingMemory']>[1];

/** A catalog every family can read its training facts from (`@mlq/jobs`' `DatasetCatalog` is one). */
export type TrainingFactsReader = UnionToIntersection<Parameters<Family['readTrainingFacts']>[1]>;

/** The dataset facts a training's memory estimate needs, read by the payload's family. */
export async function readTrainingFacts(payload: TrainPayload, catalog: TrainingFactsReader): Promise<TrainingFacts> {
  const read = familyOf(payload.kind).readTrainingFacts as (payload: TrainPayload, catalog: TrainingFactsReader) => Promise<TrainingFacts>;
  return read(payload, catalog);
}

/** The estimate of a training payload, or undefined where the family has nothing worth counting (a linear price fit). */
export function estimateTraining(payload: TrainPayload, facts: TrainingFacts, threads: number): MemoryEstimate | undefined {
  if (facts.kind !== payload.kind) throw new TypeError(`facts of a ${facts.kind} dataset for a ${payload.kind} training`);
  const estimate = familyOf(payload.kind).estimateTrainingMemory as (payload: TrainPayload, facts: TrainingFacts, threads: number) => MemoryEstimate | undefined;
  return estimate(payload, facts, threads);
}

/** Why this training does not fit these limits (with the estimate, the limit and the params that drive it), or undefined. */
export function checkTrainingMemory(payload: TrainPayload, facts: TrainingFacts, limits: MemoryLimits): MemoryRefusal | undefined {
  const estimate = estimateTraining(payload, facts, limits.threads);
  return estimate && exceedsLimits(estimate, limits);
}

type RecordFieldsOf<F extends Family> = Static<TObject<F['record']['fields']>> & (F['record'] extends { internal: infer Internal extends TProperties } ? Static<TObject<Internal>> : unknown);
type RecordOf<F extends Family> = Static<TObject<typeof ModelRecordBaseFields>> & { kind: F['kind']; architecture: F['record']['architecture'][number] } & RecordFieldsOf<F>;

/** A trained model's registry record, by family. */
export type ModelRecord = { [K in ModelKind]: RecordOf<Extract<Family, { kind: K }>> }[ModelKind];
export type ModelRecordOf<K extends ModelKind> = Extract<ModelRecord, { kind: K }>;

/**
 * A model record as clients see it: every model's fields, `kind`, `architecture`, and each
 * family's own fields, optional, their descriptions prefixed with the families that have them
 * (`textgen: distinct characters; seq2seq: words, special tokens included`).
 */
export const ModelRecordSchema = (() => {
  const { id, name, version, ...common } = ModelRecordBaseFields;
  const familyFields = new Map<string, { schema: TSchema; notes: string[] }>();
  for (const family of families) {
    for (const [field, schema] of Object.entries(family.record.fields as TProperties)) {
      const entry = familyFields.get(field) ?? { schema, notes: [] };
      entry.notes.push(`${family.kind}: ${String(schema.description ?? '')}`);
      familyFields.set(field, entry);
    }
  }
  const optional = Object.fromEntries([...familyFields].map(([field, { schema, notes }]) => [field, Type.Optional({ ...schema, description: notes.join('; ') })]));
  return Type.Object({
    id,
    name,
    version,
    kind: Type.Union(modelKinds.map((kind) => Type.Literal(kind))),
    architecture: Type.String({ description: families.map((family) => `${family.kind}: ${family.record.architecture.join(' | ')}`).join('; ') }),
    ...optional,
    ...common,
  });
})();
