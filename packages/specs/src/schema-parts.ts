import { Type } from '@sinclair/typebox';

/** Small schema builders shared by every job family's payloads. */
export const Id = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

export const ModelNameSchema = (defaultDescription: string) =>
  Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    description: `Registry name; each training adds a version. Default ${defaultDescription}`,
  });

export const SeedSchema = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed for weight initialisation and data order' });

const NullableInteger = (description: string) => Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description }));

/** Where a training attempt started from (price and seq2seq results; textgen has its own `resumedFromStep`). */
export const ResumedFromFields = {
  resumedFromEpoch: NullableInteger('Epochs finished in the checkpoint this attempt continued from; null when it started from scratch'),
  resumedFromStep: NullableInteger('Optimizer steps done in the checkpoint this attempt continued from; null when it started from scratch'),
};

/** Checkpoint figures in the progress of price and seq2seq trainings. */
export const CheckpointProgressFields = {
  ...ResumedFromFields,
  checkpointEpoch: NullableInteger('Epochs finished in the newest checkpoint in the store; null when there is none'),
  checkpointStep: NullableInteger('Optimizer steps done in the newest checkpoint in the store'),
};
