/**
 * Every route, spelled every way, with every kind of credential: the OpenAPI document's routes and
 * every route the app registered (the dashboard's, Swagger UI's, the metrics), enumerated from
 * Fastify rather than listed by hand, in plain, percent-encoded, double-encoded, mixed-case,
 * trailing-slash and other forms, with no key, a wrong key and a key of each scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ApiConfigSchema, parseConfig, scopeIncludes, type KeyScope } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';
import { scopeOf, type RouteScope } from './plugins/route-scope.ts';

const keys: Record<KeyScope, string> = { read: 'matrix-read-0123456789', submit: 'matrix-submit-0123456789', admin: 'matrix-admin-0123456789' };
const bareKey = 'matrix-bare-0123456789';

let redis: TestRedis;
let storeDir: string;
let app: FastifyInstance;

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = mkdtempSync(path.join(tmpdir(), 'mlq-auth-routes-'));
  const config = parseConfig(ApiConfigSchema, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    MODEL_STORE_DIR: storeDir,
    API_KEYS: `read:${keys.read},submit:${keys.submit},admin:${keys.admin},${bareKey}`,
    // Thousands of requests with wrong keys from one address: the limits have tests of their own.
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
  });
  app = await buildServer({ config });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

interface Route {
  method: HTTPMethods;
  /** The route's pattern, as registered. */
  pattern: string;
  /** A concrete path that matches it. */
  path: string;
  scope: RouteScope;
  dashboard: boolean;
}

/** A concrete path for a pattern: every parameter (`:id`, `{id}`, `*`) becomes `x1`. */
const concrete = (pattern: string) => pattern.replace(/:[A-Za-z0-9_]+|\{[^}]+\}|\*/g, 'x1');

const percent = (char: string) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/** The spellings of a path a client may try; only the first is sure to match the route. */
function spellings(plain: string): Record<string, string> {
  const [pathname, query] = plain.split('?', 2) as [string, string | undefined];
  const withQuery = (p: string) => (query === undefined ? p : `${p}?${query}`);
  let upper = false;
  return {
    plain,
    'each letter percent-encoded': withQuery(pathname.replace(/[A-Za-z0-9]/g, percent)),
    'first letter percent-encoded, lower-case hex': withQuery(pathname.replace(/[A-Za-z]/, (c) => percent(c).toLowerCase())),
    'double-encoded': withQuery(pathname.replace(/[A-Za-z0-9]/g, (c) => `%25${percent(c).slice(1)}`)),
    'mixed case': withQuery(
      pathname.replace(/[a-z]/gi, (c) => {
        upper = !upper;
        return upper ? c.toUpperCase() : c.toLowerCase();
      }),
    ),
    'trailing slash': withQuery(pathname.endsWith('/') ? pathname.slice(0, -1) || '/' : `${pathname}/`),
    'double slash': withQuery(`/${pathname}`),
    'dot segment': withQuery(pathname.replace(/^\/([^/]+)/, '/$1/.')),
    'encoded slash': withQuery(pathname.replace(/\/([^/]*)$/, '%2F$1')),
  };
}

const credentials: Array<{ name: string; headers: Record<string, string>; scope?: KeyScope }> = [
  { name: 'no key', headers: {} },
  { name: 'a wrong key', headers: { authorization: `Bearer ${keys.admin}-not` } },
  { name: 'a wrong Basic password', headers: { authorization: `Basic ${Buffer.from('admin:nope-nope-nope-nope').toString('base64')}` } },
  ...(['read', 'submit', 'admin'] as const).map((scope) => ({ name: `a ${scope} key`, headers: { authorization: `Bearer ${keys[scope]}` }, scope })),
  { name: 'a bare key (submit)', headers: { authorization: `Bearer ${bareKey}` }, scope: 'submit' as const },
  { name: 'an admin key as Basic password', headers: { authorization: `Basic ${Buffer.from(`u:${keys.admin}`).toString('base64')}` }, scope: 'admin' as const },
];

/** Routes open to anyone: the probes, the metrics (Prometheus, KEDA) and the API document. */
const isPublicPattern = (pattern: string) => ['/healthz', '/readyz', '/metrics', '/metrics/queues'].includes(pattern) || pattern === '/docs' || pattern.startsWith('/docs/');

async function allRoutes(): Promise<Route[]> {
  const routes = new Map<string, Route>();
  for (const route of app.routeList) {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethods[];
    for (const method of methods) {
      routes.set(`${method} ${route.url}`, {
        method,
        pattern: route.url,
        path: concrete(route.url),
        scope: scopeOf(method, route.config),
        dashboard: route.config?.dashboard === true,
      });
    }
  }
  // Every route of the OpenAPI document is one Fastify registered (so none escapes the matrix).
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
  for (const [documented, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) {
      const pattern = documented.replace(/\{([^}]+)\}/g, ':$1');
      expect(routes.has(`${method.toUpperCase()} ${pattern}`), `${method} ${documented}`).toBe(true);
    }
  }
  return [...routes.values()];
}

const body = (method: string) => (method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : {});

describe('authorization by the matched route', () => {
  it('covers the whole API, the dashboard and the public routes', async () => {
    const routes = await allRoutes();
    const dashboard = routes.filter((route) => route.dashboard);
    expect(dashboard.filter((route) => route.method === 'PUT').length).toBeGreaterThan(10);
    expect(routes.filter((route) => route.pattern.startsWith('/v1/')).length).toBeGreaterThan(10);
    // Public exactly where intended, and every dashboard action is admin's.
    for (const route of routes) {
      expect(route.scope === 'public', `${route.method} ${route.pattern}`).toBe(isPublicPattern(route.pattern));
      if (route.dashboard) expect(route.scope, `${route.method} ${route.pattern}`).toBe(route.method === 'GET' || route.method === 'HEAD' ? 'read' : 'admin');
    }
  });

  it('never serves a request without the scope its route needs, however the URL is spelled', async () => {
    const routes = await allRoutes();
    const failures: string[] = [];
    let requests = 0;
    for (const route of routes) {
      for (const [form, url] of Object.entries(spellings(route.path))) {
        for (const credential of credentials) {
          const response = await app.inject({ method: route.method, url, headers: credential.headers, payload: body(route.method) });
          requests++;
          const status = response.statusCode;
          const what = `${route.method} ${url} (${form}, ${route.scope} route) with ${credential.name}: ${status}`;
          const served = status < 400 || status >= 500;
          if (route.scope === 'public') {
            if (form === 'plain' && (status === 401 || status === 403)) failures.push(`${what}: a public route refused`);
            continue;
          }
          if (!credential.scope) {
            // Whatever the spelling matched, even nothing: no key, no answer but 401.
            if (status !== 401) failures.push(`${what}: expected 401`);
          } else if (!scopeIncludes(credential.scope, route.scope)) {
            if (served || (status !== 403 && status !== 404)) failures.push(`${what}: expected 403 (or 404 where the spelling matches no route)`);
            if (form === 'plain' && status !== 403) failures.push(`${what}: expected 403`);
          } else if (status === 401 || status === 403) {
            failures.push(`${what}: the right key was refused`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
    // Dashboard actions a right key reached ran against queues named x1, which do not exist.
    for (const queue of Object.values(app.services.queues)) expect(await queue.isPaused()).toBe(false);
  });

  it('documents the key each operation needs in the OpenAPI document', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      security: unknown;
      components: { securitySchemes: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown; 'x-scope'?: string }>>;
    };
    expect(document.components.securitySchemes.apiKey!.scheme).toBe('bearer');
    expect(document.security).toEqual([{ apiKey: [] }]);
    const routes = new Map((await allRoutes()).map((route) => [`${route.method} ${route.pattern}`, route.scope]));
    for (const [documented, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const scope = routes.get(`${method.toUpperCase()} ${documented.replace(/\{([^}]+)\}/g, ':$1')}`);
        if (scope === 'public') expect(operation.security, `${method} ${documented}`).toEqual([]);
        else expect(operation['x-scope'], `${method} ${documented}`).toBe(scope);
      }
    }
  });

  it('answers public routes to anyone, in their plain spelling', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/metrics/queues', '/docs/json', '/docs']) {
      const status = (await app.inject({ method: 'GET', url })).statusCode;
      expect(status < 400, `${url}: ${status}`).toBe(true);
    }
  });
});
