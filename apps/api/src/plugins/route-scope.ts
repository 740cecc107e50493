/**
 * The scope a route needs, declared on the route itself (`config: { scope: 'admin' }`) and read
 * from the matched route by the auth hook, never from the URL text. Without a declaration a
 * route needs `read` for GET/HEAD and `submit` for anything else.
 * - `public`: open to anyone (probes, metrics, the API document);
 * - `read`: state, results, listings;
 * - `submit`: enqueue and cancel jobs, upload datasets;
 * - `admin`: delete datasets and models, act on the dashboard.
 */
export type RouteScope = 'public' | 'read' | 'submit' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}

/** The scope a route needs when it declares none. */
export const defaultScope = (method: string): RouteScope => (method === 'GET' || method === 'HEAD' ? 'read' : 'submit');
