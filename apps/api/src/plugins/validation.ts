import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';

/**
 * The one Ajv configuration of the API. JSON bodies are not coerced (JSON carries its types: a
 * string is never a number), query strings, params and headers are (they are text), but only from
 * finite decimal numerals. `strictNumbers` refuses NaN and ±Infinity everywhere: `JSON.parse`
 * reads `1e309` as Infinity, and it would reach a worker as `null`. Both Ajv instances stay in
 * this module: others compile through `compileBodyValidator` and `compileRequestValidator`.
 */
const shared: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false, strictNumbers: true };

const bodyAjv = new Ajv({ ...shared, coerceTypes: false });
const textAjv = new Ajv({ ...shared, coerceTypes: 'array' });

/** Ajv's validate function shape, as Fastify and `kindDiscriminatedValidator` use it. */
export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Longest numeral taken from a query string: 2^53 has 16 digits; 40 leaves room for decimals. */
const MAX_NUMERAL_LENGTH = 40;
const decimalNumeral = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** Whether a query-string value may be coerced to a number: a finite decimal numeral, no exponent, hex, `Infinity` or blank. */
export function isFiniteDecimalNumeral(text: string): boolean {
  return text.length <= MAX_NUMERAL_LENGTH && decimalNumeral.test(text) && Number.isFinite(Number(text));
}

type SchemaNode = { type?: unknown; properties?: Record<string, SchemaNode>; anyOf?: SchemaNode[]; oneOf?: SchemaNode[]; items?: SchemaNode };

const numeric = (type: unknown) => type === 'number' || type === 'integer' || (Array.isArray(type) && type.some(numeric));

/** Whether a property's schema takes a number (itself, in a union, or as array items). */
function takesNumber(schema: SchemaNode | undefined): boolean {
  if (!schema) return false;
  if (numeric(schema.type)) return true;
  if (schema.items && takesNumber(schema.items)) return true;
  return [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].some((s) => numeric(s.type));
}

/** The first numeric property of a text part (query, params, headers) whose value is no finite decimal numeral. */
function findBadNumeral(schema: SchemaNode, data: unknown): ErrorObject | undefined {
  if (!schema.properties || typeof data !== 'object' || data === null) return undefined;
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!takesNumber(property)) continue;
    const value = (data as Record<string, unknown>)[name];
    const texts = Array.isArray(value) ? value : [value];
    const bad = texts.find((text) => typeof text === 'string' && !isFiniteDecimalNumeral(text));
    if (bad === undefined) continue;
    // Strings that another member of a union takes (a literal) are left to Ajv.
    if (![...(property.anyOf ?? []), ...(property.oneOf ?? [])].every((s) => numeric(s.type))) continue;
    return {
      instancePath: `/${name}`,
      schemaPath: `#/properties/${name}/type`,
      keyword: 'type',
      params: { type: property.type ?? 'number' },
      message: `must be a finite decimal number (got ${JSON.stringify(String(bad).slice(0, 40))})`,
    };
  }
  return undefined;
}

/** A validator for a text part: numerals checked, then Ajv with coercion. */
function compileTextValidator(schema: object): Validator {
  const validateWithAjv: ValidateFunction = textAjv.compile(schema);
  const validate: Validator = (data: unknown) => {
    const bad = findBadNumeral(schema as SchemaNode, data);
    if (bad) {
      validate.errors = [bad];
      return false;
    }
    const valid = validateWithAjv(data);
    validate.errors = valid ? null : (validateWithAjv.errors ?? null);
    return valid;
  };
  return validate;
}

/** A validator for a JSON body: Ajv without coercion. */
export function compileBodyValidator(schema: object): ValidateFunction {
  return bodyAjv.compile(schema);
}

/** Fastify's `validatorCompiler` for the whole app (and for routes that override the body's). */
export function compileRequestValidator({ schema, httpPart }: { schema: object; httpPart?: string }): Validator {
  return httpPart === 'body' ? compileBodyValidator(schema) : compileTextValidator(schema);
}
