/**
 * One error taxonomy for every package: whether a failure is worth retrying is a property of the
 * error, decided where it is raised (Temporal's non-retryable errors are the model), and read in
 * two places only: the API's mapping to status codes and the worker's retry decision.
 *
 * A thrown value that is not an {@link MlqError} (a library's Error, a lost connection) is
 * transient: the worker retries it with backoff and the API answers 500.
 */

/** What went wrong, as the API and the worker need to know it. */
export const failureKinds = {
  /** The request or payload cannot work as given: bad params, too little data, wrong dataset kind. */
  invalid: { status: 400, retryable: false },
  /** A dataset, series, model or artifact that does not exist. */
  'not-found': { status: 404, retryable: false },
  /** The resource is in use or in a state that forbids the action. */
  conflict: { status: 409, retryable: false },
  /** A body or file over its limit. */
  'too-large': { status: 413, retryable: false },
  /** Too many requests or too many of something at once; trying later can work. */
  'too-many': { status: 429, retryable: true },
  /** A store quota is spent; it stays spent until someone deletes, so retrying repeats the work for nothing. */
  quota: { status: 507, retryable: false },
  /** A dependency (Redis, the artifact store) is down or slow; trying again later can work. */
  unavailable: { status: 503, retryable: true },
  /** Stopped on purpose by a user. */
  cancelled: { status: 409, retryable: false },
  /** A fault of ours that a retry may get past (an I/O error in the store). */
  internal: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type FailureKind = keyof typeof failureKinds;

export interface MlqErrorOptions {
  /** Where in the request the problem is, as the API names it (`body/params/window`). */
  field?: string;
  /** Extra facts a client can act on (sizes, limits, the job in the way). */
  details?: unknown;
  cause?: unknown;
}

/** Base of every error raised on purpose anywhere in this project. */
export class MlqError extends Error {
  readonly failure: FailureKind;
  readonly field?: string;
  readonly details?: unknown;

  constructor(failure: FailureKind, message: string, options: MlqErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.failure = failure;
    if (options.field !== undefined) this.field = options.field;
    if (options.details !== undefined) this.details = options.details;
  }

  /** Whether the same job can succeed when tried again. */
  get retryable(): boolean {
    return failureKinds[this.failure].retryable;
  }

  /** The HTTP status the API answers with. */
  get status(): number {
    return failureKinds[this.failure].status;
  }
}

/** Whether a failure is worth retrying: transient unless an {@link MlqError} says otherwise. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof MlqError) || error.retryable;
}
