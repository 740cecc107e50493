import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { failureKinds, MlqError, type FailureKind } from '@mlq/specs';
import { isRedisConnectionError, redactPaths, redactPathsDeep } from '@mlq/jobs';

/** Body of every 4xx/5xx answer. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'What is wrong, naming the field or value' }),
    field: Type.Optional(Type.String({ description: 'The offending field, e.g. `body/params/window`' })),
    details: Type.Optional(Type.Unknown()),
  },
  { $id: 'Error' },
);

/** A 4xx (or 503) a route answers with, with a message meant for the client. */
export class HttpError extends MlqError {
  constructor(
    readonly statusCode: number,
    message: string,
    field?: string,
    details?: unknown,
  ) {
    super(failureOfStatus(statusCode), message, { ...(field === undefined ? {} : { field }), ...(details === undefined ? {} : { details }) });
    this.name = 'HttpError';
  }

  override get status(): number {
    return this.statusCode;
  }
}

/** The failure kind of a status a route chose (its retry semantics, should one reach a worker). */
function failureOfStatus(status: number): FailureKind {
  const kind = (Object.keys(failureKinds) as FailureKind[]).find((name) => failureKinds[name].status === status);
  return kind ?? (status >= 500 ? 'internal' : 'invalid');
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  field?: string;
  details?: unknown;
}

/** Maps every error to a status and a message; 5xx internals are logged, never sent. */
export function describeError(error: unknown): ErrorBody {
  const body = (statusCode: number, message: string, extra: Partial<ErrorBody> = {}): ErrorBody => ({
    statusCode,
    error: reasons[statusCode] ?? 'Error',
    message,
    ...extra,
  });
  // Redis' own client errors are not ours: they say nothing a client can act on.
  if (isRedisConnectionError(error)) return body(503, 'Redis is unreachable; try again shortly');
  // Every error raised on purpose carries its status (its failure kind) and a message meant for the client.
  if (error instanceof MlqError) {
    return body(error.status, error.message, {
      ...(error.field ? { field: error.field } : {}),
      ...(error.details !== undefined ? { details: error.details } : {}),
    });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const field = `${fastifyError.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
    return body(400, fastifyError.message, { field });
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return body(413, `${fastifyError.message}`);
    }
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return body(415, fastifyError.message);
    }
    if (fastifyError instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return body(400, `body is not valid JSON: ${fastifyError.message}`);
    }
    return body(status, fastifyError.message);
  }
  return body(500, 'Internal Server Error');
}

export const errorHandler = fp(async (app: FastifyInstance) => {
  app.addSchema(ErrorSchema);
  app.setErrorHandler(async (error, request, reply) => {
    const answer = describeError(error);
    // Whatever a message quotes (a parser's file name, a library's error), no server path reaches a client.
    answer.message = redactPaths(answer.message);
    if (answer.details !== undefined) answer.details = redactPathsDeep(answer.details);
    if (answer.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ err: { message: answer.message }, statusCode: answer.statusCode }, 'request rejected');
    return reply.status(answer.statusCode).send(answer);
  });
  app.setNotFoundHandler(async (request, reply) => reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url}` }));
});
