import type { RouteOptions } from 'fastify';
import type { KeyScope } from '@mlq/jobs';

/**
 * The scope a route needs, declared on the route itself (`config: { scope: 'admin' }`) and read
 * from the matched route by the auth hook, never from the URL text. Without a declaration a
 * route needs `read` for GET/HEAD and `submit` for anything else.
 * - `public`: open to anyone (probes, metrics, the API document);
 * - `read`: state, results, listings;
 * - `submit`: enqueue and cancel jobs, upload datasets;
 * - `admin`: delete datasets and models, act on the dashboard.
 */
export type RouteScope = 'public' | KeyScope;

export const routeScopes: readonly RouteScope[] = ['public', 'read', 'submit', 'admin'];

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** The scope a route needs when it declares none. */
export const defaultScope = (method: string): RouteScope => (isRead(method) ? 'read' : 'submit');

/** The scope of a route: its declaration, else the method's default. */
export const scopeOf = (method: string, config: { scope?: RouteScope } | undefined): RouteScope => config?.scope ?? defaultScope(method);

const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]);

/**
 * An onRoute hook that gives every route of the plugin context it is added to (and of the
 * plugins registered inside it) a scope, for routes whose code we do not own (Swagger UI, Bull
 * Board): `readScope` for GET/HEAD routes, `writeScope` for any other method.
 */
export function scopeRoutes(readScope: RouteScope, writeScope: RouteScope = readScope) {
  return (route: RouteOptions): void => {
    const reads = methodsOf(route).every((method) => isRead(method.toUpperCase()));
    route.config = { ...route.config, scope: reads ? readScope : writeScope };
  };
}
