import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { BOARD_PATH } from './board.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A short, non-secret fingerprint of the caller's API key (rate limiting, logs). */
    apiKeyId?: string;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Compares a candidate with every configured key, in time that does not depend on where they
 * differ: keys are hashed to equal lengths and all of them are compared.
 */
export function createKeyMatcher(keys: readonly string[]): (candidate: string) => boolean {
  const digests = keys.map(digest);
  return (candidate) => {
    const candidateDigest = digest(candidate);
    let match = false;
    for (const known of digests) match = timingSafeEqual(candidateDigest, known) || match;
    return match;
  };
}

/** The key from `Authorization: Bearer <key>`, or the password of Basic auth (browsers, for the dashboard). */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

const isProtected = (path: string) => path === '/v1' || path.startsWith('/v1/') || path === BOARD_PATH || path.startsWith(`${BOARD_PATH}/`);
const isBoard = (path: string) => path === BOARD_PATH || path.startsWith(`${BOARD_PATH}/`);

export interface AuthOptions {
  apiKeys: readonly string[];
  boardReadOnly: boolean;
}

/**
 * API keys protect /v1/* and the dashboard when configured; /healthz, /readyz and /docs stay
 * open. A read-only dashboard refuses every request that could change a queue.
 */
export const auth = fp(async (app: FastifyInstance, options: AuthOptions) => {
  const matches = createKeyMatcher(options.apiKeys);
  const deny = (reply: FastifyReply, board: boolean) =>
    reply
      .status(401)
      .header('www-authenticate', board ? 'Basic realm="mlq dashboard", charset="UTF-8"' : 'Bearer realm="mlq"')
      .send({
        statusCode: 401,
        error: 'Unauthorized',
        message: board ? 'the dashboard needs an API key as the Basic-auth password' : 'missing or invalid API key: send Authorization: Bearer <key>',
      });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    if (!isProtected(path)) return;
    if (options.apiKeys.length > 0) {
      const key = presentedKey(request);
      if (!key || !matches(key)) return deny(reply, isBoard(path));
      request.apiKeyId = digest(key).toString('hex').slice(0, 12);
    }
    if (options.boardReadOnly && isBoard(path) && request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.status(405).send({ statusCode: 405, error: 'Method Not Allowed', message: 'the dashboard is read-only (BOARD_READ_ONLY)' });
    }
  });
});
