/** Base of every error this library raises on purpose. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A hyperparameter outside its bounds; names the field. */
export class ModelConfigError extends ModelError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}

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
    super('training cancelled');
  }
}

/** Training diverged: the loss or the predictions became NaN or infinite. */
export class TrainingDivergedError extends ModelError {}
