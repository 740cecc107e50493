import type { TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { MlqError } from './errors.ts';

/** A hyperparameter or option outside what its family's schema allows; the message starts with the field. */
export class ModelConfigError extends MlqError {
  /** The parameter, as the library names it (`window`, `probes[2]`). */
  declare readonly field: string;

  constructor(field: string, problem: string) {
    super('invalid', `${field} ${problem}`, { field });
  }
}

/**
 * Fills `defaults` under the given values and checks the result against a family's parameter
 * schema, the same schema the API validates requests with. Throws {@link ModelConfigError} naming the
 * first bad field in the model library's words (`window must be <= 365, got 400`); a field the
 * schema does not know is an error too (`what` names the family's parameters in that message).
 */
export function resolveParams<T extends object>(schema: TObject, defaults: Readonly<T>, given: Partial<T> | undefined, what: string): T {
  const known = Object.keys(schema.properties);
  for (const key of Object.keys(given ?? {})) {
    if (!known.includes(key)) throw new ModelConfigError(key, `is not a ${what} parameter (known: ${known.join(', ')})`);
  }
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, value]) => value !== undefined));
  const resolved = { ...defaults, ...defined } as T;
  checkValue(schema, resolved);
  return resolved;
}

/** Checks `value` against `schema`; throws {@link ModelConfigError} for the first problem, named `field` plus the path within. */
export function checkValue(schema: TSchema, value: unknown, field = ''): void {
  const first = Value.Errors(schema, value).First();
  if (first) throw new ModelConfigError(`${field}${field && first.path ? '.' : ''}${fieldOf(first.path)}` || '(value)', describeProblem(first));
}

/** Checks one option (say `temperature`) against its schema in a family's spec; returns it, checked. */
export function checkOption<T>(field: string, schema: TSchema, value: T): T {
  checkValue(schema, value, field);
  return value;
}

/** `/probes/2` → `probes[2]`; `/window` → `window`. */
function fieldOf(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function describeProblem(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  const got = describeValue(error.value);
  switch (error.type) {
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
      if (typeof error.value !== 'number' || !Number.isFinite(error.value)) return `must be a finite number, got ${got}`;
      return `must be an integer, got ${got}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be >= ${String(schema.minimum)}, got ${got}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be > ${String(schema.exclusiveMinimum)}, got ${got}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be <= ${String(schema.maximum)}, got ${got}`;
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be < ${String(schema.exclusiveMaximum)}, got ${got}`;
    case ValueErrorType.Union: {
      const choices = (schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((option) => option.const);
      if (choices?.every((choice) => choice !== undefined)) return `must be one of ${choices.join(', ')}, got ${got}`;
      return error.message;
    }
    case ValueErrorType.Boolean:
      return `must be a boolean, got ${typeof error.value}`;
    case ValueErrorType.String:
      return `must be a string, got ${typeof error.value}`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters, got ${(error.value as string).length}`;
    case ValueErrorType.StringMinLength:
      return `must be at least ${String(schema.minLength)} characters, got ${(error.value as string).length}`;
    case ValueErrorType.Array:
      return `must be an array, got ${typeof error.value}`;
    case ValueErrorType.ArrayMaxItems:
      return `must hold at most ${String(schema.maxItems)} items, got ${(error.value as unknown[]).length}`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}
