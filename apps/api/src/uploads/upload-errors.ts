import { DatasetParseError, UnknownOwnerError } from '@mlq/datasets';
import { HttpError } from '../plugins/errors.ts';

/**
 * An error as it crosses the thread boundary. Structured cloning keeps an Error's message but not
 * its class or fields, so the errors the API maps to 4xx travel as data and are rebuilt.
 */
export type SerializedUploadError =
  | { type: 'dataset'; file: string; line?: number; column?: string; problem: string }
  | { type: 'http'; statusCode: number; message: string; field?: string; details?: unknown }
  | { type: 'owner'; owner: string; candidates: string[] }
  | { type: 'internal'; message: string; stack?: string };

export function serializeUploadError(error: unknown): SerializedUploadError {
  if (error instanceof DatasetParseError) {
    return {
      type: 'dataset',
      file: error.file,
      problem: error.problem,
      ...(error.line !== undefined ? { line: error.line } : {}),
      ...(error.column !== undefined ? { column: error.column } : {}),
    };
  }
  if (error instanceof HttpError) {
    return {
      type: 'http',
      statusCode: error.statusCode,
      message: error.message,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(error.details !== undefined ? { details: error.details } : {}),
    };
  }
  if (error instanceof UnknownOwnerError) return { type: 'owner', owner: error.owner, candidates: [...error.candidates] };
  const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined };
  return { type: 'internal', message, ...(stack ? { stack } : {}) };
}

export function reviveUploadError(error: SerializedUploadError): Error {
  switch (error.type) {
    case 'dataset': {
      const { type: _type, ...where } = error;
      return new DatasetParseError(where);
    }
    case 'http':
      return new HttpError(error.statusCode, error.message, error.field, error.details);
    case 'owner':
      return new UnknownOwnerError(error.owner, error.candidates);
    case 'internal': {
      const revived = new Error(`upload parse thread: ${error.message}`);
      if (error.stack) revived.stack = error.stack;
      return revived;
    }
  }
}
