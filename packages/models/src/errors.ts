import { MlqError, type FailureKind } from '@mlq/specs';

/**
 * Base of every error this library raises on purpose: a permanent failure (`invalid` unless said
 * otherwise) in the project's one taxonomy (`@mlq/specs`), so the worker does not retry what would
 * fail the same way and the API answers 400.
 */
export class ModelError extends MlqError {
  constructor(message: string, failure: FailureKind = 'invalid') {
    super(failure, message);
  }
}

/** A hyperparameter or option outside its bounds; names the field. Thrown by the family specs' `resolveParams` too. */
export { ModelConfigError } from '@mlq/specs';

/** The series is too short for the requested window and holdout. */
export class NotEnoughDataError extends ModelError {
  constructor(
    readonly points: number,
    readonly needed: number,
    detail: string,
  ) {
    super(`series has ${points} points; ${detail} needs at least ${needed}`);
  }
}

/** A value that is not a finite number (NaN, Infinity) in a series, or one the scaling cannot take. */
export class InvalidSeriesError extends ModelError {
  constructor(
    message: string,
    /** Index of the offending value, when one is to blame. */
    readonly index?: number,
  ) {
    super(message);
  }
}

/** Training stopped through its AbortSignal. */
export class TrainingCancelledError extends ModelError {
  constructor(readonly reason?: unknown) {
    super('training cancelled', 'cancelled');
  }
}

/** Training diverged: the loss or the predictions became NaN or infinite. */
export class TrainingDivergedError extends ModelError {}
