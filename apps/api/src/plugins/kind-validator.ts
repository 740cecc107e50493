import type { ValidateFunction } from 'ajv';
import type { TObject, TUnion } from '@sinclair/typebox';
import { compileBodyValidator, compileRequestValidator, type Validator } from './validation.ts';

/**
 * A body validator for a union of object schemas told apart by `kind` (a Fastify route's
 * `validatorCompiler`). Ajv reports a failed `anyOf` as "must match a schema in anyOf", which
 * helps nobody; this validates the body against the variant its `kind` names, so errors name that
 * variant's fields (`body/params/units must be <= 1024`). The route keeps the union as its schema
 * for the OpenAPI document.
 */
export function kindDiscriminatedValidator(union: TUnion<TObject[]>): Validator {
  const variants = new Map<unknown, ValidateFunction>(union.anyOf.map((variant) => [variant.properties.kind!.const, compileBodyValidator(variant)]));
  const kinds = [...variants.keys()];
  const kindSchema = { properties: { kind: { enum: kinds } } };
  const validate: Validator = (data: unknown) => {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      validate.errors = [{ instancePath: '', schemaPath: '#/type', keyword: 'type', params: { type: 'object' }, message: 'must be object' }];
      return false;
    }
    const kind = (data as { kind?: unknown }).kind;
    const variant = variants.get(kind);
    if (!variant) {
      const message = kind === undefined ? `must have property 'kind' (one of ${kinds.join(', ')})` : `must be one of ${kinds.join(', ')}`;
      validate.errors = [
        { instancePath: kind === undefined ? '' : '/kind', schemaPath: '#/properties/kind/enum', keyword: 'enum', params: { allowedValues: kinds }, message, schema: kindSchema },
      ];
      return false;
    }
    const valid = variant(data);
    validate.errors = valid ? null : (variant.errors ?? null);
    return valid;
  };
  return validate;
}

/**
 * A route's `validatorCompiler` for a body that is a union told apart by `kind`: the body as
 * `kindDiscriminatedValidator` checks it, every other part as the whole app does.
 */
export function compileKindDiscriminatedRequest(union: TUnion<TObject[]>): (route: { schema: object; httpPart?: string }) => Validator {
  return (route) => (route.httpPart === 'body' ? kindDiscriminatedValidator(union) : compileRequestValidator(route));
}

/**
 * A route's `validatorCompiler` for a body one of whose properties is such a union (a schedule's
 * `train`): the rest of the body as the app checks it, that property as `kindDiscriminatedValidator`
 * does, its errors named under the property (`body/train/params/epochs must be <= 1000`).
 */
export function compileKindDiscriminatedProperty(property: string, union: TUnion<TObject[]>): (route: { schema: object; httpPart?: string }) => Validator {
  const member = kindDiscriminatedValidator(union);
  return (route) => {
    if (route.httpPart !== 'body') return compileRequestValidator(route);
    const schema = route.schema as TObject;
    const outer = compileBodyValidator({ ...schema, properties: { ...schema.properties, [property]: { type: 'object' } } });
    const validate: Validator = (data: unknown) => {
      if (!outer(data)) {
        validate.errors = outer.errors ?? null;
        return false;
      }
      const valid = member((data as Record<string, unknown>)[property]);
      validate.errors = valid ? null : (member.errors ?? []).map((error) => ({ ...error, instancePath: `/${property}${error.instancePath}` }));
      return valid;
    };
    return validate;
  };
}
