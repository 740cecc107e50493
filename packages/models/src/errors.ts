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

/** A value that is not a finite number (NaN, Infinity) in a series. */
export class InvalidSeriesError extends ModelError {}

/** Training stopped through its AbortSignal. */
export class TrainingCancelledError extends ModelError {
  constructor(readonly reason?: unknown) {
    super('training cancelled');
  }
}

/** Training diverged (loss became NaN or infinite). */
export class TrainingDivergedError extends ModelError {}
