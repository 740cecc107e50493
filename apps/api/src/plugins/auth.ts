import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { keyScopes, scopeIncludes, type ApiKey, type KeyScope } from '@mlq/jobs';
import { routeScopes, scopeOf, type RouteScope } from './route-scope.ts';
import { clientBucket, isLoopback } from './client-address.ts';
import type { AuthFailureLimiter } from './auth-failures.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A short, non-secret fingerprint of the caller's API key (rate limiting, logs). */
    apiKeyId?: string;
    /** What the caller may do: its key's scope, or the scope granted without keys. */
    grantedScope?: KeyScope;
  }
  interface FastifyInstance {
    /** Every route registered after the auth plugin, with the options its scope is read from. */
    readonly routeList: readonly RouteOptions[];
  }
  interface FastifyContextConfig {
    /** Set on the dashboard's routes: a 401 there asks browsers for Basic auth. */
    dashboard?: boolean;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Finds the scope of a candidate key, in time that does not depend on where it differs from a
 * configured key: keys are hashed to equal lengths and every one of them is compared.
 */
export function createKeyMatcher(keys: readonly ApiKey[]): (candidate: string) => KeyScope | undefined {
  const digests = keys.map(({ key, scope }) => ({ digest: digest(key), rank: keyScopes.indexOf(scope) }));
  return (candidate) => {
    const candidateDigest = digest(candidate);
    let rank = -1;
    for (const known of digests) {
      const equal = timingSafeEqual(candidateDigest, known.digest);
      rank = Math.max(rank, equal ? known.rank : -1);
    }
    return keyScopes[rank];
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

export interface AuthOptions {
  apiKeys: readonly ApiKey[];
  /** Without keys, serve clients on other machines too (with `submit` at most). */
  allowUnauthenticated: boolean;
  /** Limits wrong keys per client address; none disables the limit. */
  failures?: AuthFailureLimiter;
}

const PROTECTED_MODE_MESSAGE =
  'mlq serves only clients on its own machine while no API keys are configured. ' +
  'Set API_KEYS on the server (e.g. API_KEYS=admin:$(openssl rand -hex 24)) and send Authorization: Bearer <key>; ' +
  'or, knowing that anyone who reaches the port may then use the API, set ALLOW_UNAUTHENTICATED=true';

/**
 * Authorization by the matched route: each route's scope (route-scope.ts) is read from
 * `request.routeOptions`, whatever spelling of the URL matched it, and a request without a route
 * (404) needs a key too. With API_KEYS set, every route but the `public` ones needs a key of
 * sufficient scope. Without keys (protected mode, after Redis's), loopback clients may do
 * anything and other clients are refused, unless ALLOW_UNAUTHENTICATED grants them `submit`.
 */
export const auth = fp(async (app: FastifyInstance, options: AuthOptions) => {
  const scopeOfKey = createKeyMatcher(options.apiKeys);
  const keysConfigured = options.apiKeys.length > 0;
  if (!keysConfigured) {
    app.log.warn(
      options.allowUnauthenticated
        ? 'no API_KEYS and ALLOW_UNAUTHENTICATED=true: anyone who reaches this port may use the API'
        : 'no API_KEYS: serving loopback clients only (protected mode); set API_KEYS to serve other machines',
    );
  }
  const routes: RouteOptions[] = [];
  app.decorate('routeList', routes);
  app.addHook('onRoute', (route) => {
    const declared = route.config?.scope;
    if (declared !== undefined && !routeScopes.includes(declared)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares an unknown scope ${JSON.stringify(declared)}`);
    }
    routes.push(route);
  });

  const refuse = (reply: FastifyReply, statusCode: 401 | 403 | 429, message: string) =>
    reply.status(statusCode).send({ statusCode, error: { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests' }[statusCode], message });

  /** The caller's scope, or undefined once a refusal has been sent. */
  async function authenticate(request: FastifyRequest, reply: FastifyReply, dashboard: boolean): Promise<KeyScope | undefined> {
    const address = request.socket.remoteAddress;
    if (!keysConfigured) {
      if (isLoopback(address)) return 'admin';
      if (options.allowUnauthenticated) return 'submit';
      refuse(reply, 403, PROTECTED_MODE_MESSAGE);
      return undefined;
    }
    const key = presentedKey(request);
    if (!key) {
      reply.header('www-authenticate', dashboard ? 'Basic realm="mlq dashboard", charset="UTF-8"' : 'Bearer realm="mlq"');
      refuse(reply, 401, dashboard ? 'the dashboard needs an API key as the Basic-auth password' : 'missing API key: send Authorization: Bearer <key>');
      return undefined;
    }
    // Checked before the key, so that a blocked client learns nothing about its guesses.
    const client = clientBucket(address);
    const retryAfter = (await options.failures?.retryAfterSeconds(client)) ?? 0;
    if (retryAfter > 0) {
      reply.header('retry-after', String(retryAfter));
      refuse(reply, 429, `too many wrong API keys from this address; retry in ${retryAfter} s`);
      return undefined;
    }
    const scope = scopeOfKey(key);
    if (!scope) {
      await options.failures?.recordFailure(client);
      request.log.warn({ client }, 'wrong API key');
      reply.header('www-authenticate', dashboard ? 'Basic realm="mlq dashboard", charset="UTF-8"' : 'Bearer realm="mlq"');
      refuse(reply, 401, 'invalid API key');
      return undefined;
    }
    request.apiKeyId = digest(key).toString('hex').slice(0, 12);
    return scope;
  }

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    // An unmatched URL needs a key as well: a 404 must not tell an anonymous caller what exists.
    const needed: RouteScope = request.is404 ? 'read' : scopeOf(request.method, config);
    if (needed === 'public') return;
    const granted = await authenticate(request, reply, config?.dashboard === true);
    if (!granted) return reply;
    if (!scopeIncludes(granted, needed)) {
      const how = keysConfigured
        ? `this API key has scope ${granted}`
        : `without API_KEYS only clients on the server's machine may use ${needed} routes; set API_KEYS with an ${needed}: key`;
      return refuse(reply, 403, `this route needs an API key with scope ${needed}; ${how}`);
    }
    request.grantedScope = granted;
  });
});
