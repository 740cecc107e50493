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
