import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { scopeOf, scopeRoutes } from './route-scope.ts';

/** OpenAPI 3 document built from the routes' TypeBox schemas; UI at /docs, JSON at /docs/json. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mlq',
        description: 'Distributed train/predict job queue for TensorFlow.js models',
        version: '0.1.0',
      },
      tags: [
        { name: 'datasets', description: 'Upload and inspect price data' },
        { name: 'jobs', description: 'Train and predict jobs, their state, progress and results' },
        { name: 'batches', description: 'One forecast per series, run in parallel' },
        { name: 'models', description: 'The model registry' },
        { name: 'health', description: 'Probes' },
      ],
      // API keys travel as `Authorization: Bearer <key>`; each operation says the scope it needs.
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS (scopes: read < submit < admin)' } } },
      security: [{ apiKey: [] }],
    },
    // Bull Board's own routes are not part of this API.
    hiddenTag: 'X-HIDDEN',
    transform: ({ schema, url, route }) => {
      if (url.startsWith('/admin/')) return { schema: { ...schema, hide: true }, url };
      const method = Array.isArray(route.method) ? route.method[0]! : route.method;
      const scope = scopeOf(method, route.config);
      const documented = schema as Record<string, unknown> | undefined;
      // Public routes need no key; the others say which scope their key needs.
      return scope === 'public'
        ? { schema: { ...documented, security: [] }, url }
        : {
            schema: {
              ...documented,
              'x-scope': scope,
              description: `${documented?.description ? `${String(documented.description)}\n\n` : ''}Needs an API key with scope \`${scope}\` (or higher).`,
            },
            url,
          };
    },
  });
  // Open to anyone: every route Swagger UI registers (the page, /docs/json, its static files).
  await app.register(async (docs) => {
    docs.addHook('onRoute', scopeRoutes('public'));
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
}
