import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';

/**
 * Malformed requests generated from the OpenAPI document, to every route: hostile numbers and
 * strings in query strings, path parameters and JSON bodies (shaped like the route's schema, or
 * any JSON, or not JSON at all). None may answer 5xx. CI-sized; the chaos suite runs more.
 */

interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  query: string[];
  body?: JsonSchema;
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
}

let redis: TestRedis;
let app: FastifyInstance;
let storeDir: string;
let operations: Operation[];

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-fuzz-'));
  // A loaded CI machine can be slow to answer; a Redis timeout (503) is not what this test looks for.
  app = await buildServer({
    config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, RATE_LIMIT_PER_MINUTE: '0', REDIS_TIMEOUT_MS: '15000' }),
  });
  await app.ready();
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase() as Operation['method'],
      path: route,
      query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      body: operation.requestBody?.content['application/json']?.schema,
    })),
  );
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
  await rm(storeDir, { recursive: true, force: true });
});

const hostileNumber = fc.constantFrom('Infinity', '-Infinity', 'NaN', '1e309', '-1e309', '1e-400', '0x1f', '1e3', '', ' ', '-0', '9'.repeat(320), '4294967296', '-1', '0.5', '1,2');
const hostileText = fc.oneof(
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%00', '../../etc/passwd', 'true', 'null', '[]', '{}', 'a'.repeat(5000)) },
);
const hostileJsonNumber = fc.constantFrom('1e309', '-1e309', '1e-400', '-0', '1e308', '123456789012345678901234567890', '0.1e1', '2147483648', '-1');

/** A query string: declared and made-up names, hostile values, repeated names. */
const queryString = (names: string[]) =>
  fc
    .array(
      fc.tuple(
        names.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }) : fc.string({ maxLength: 8 }),
        hostileText,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

/** JSON text shaped like a schema, with hostile leaves (numbers JSON reads as ±Infinity, strings where numbers go). */
function shapedJson(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<string> {
  const leaf = fc.oneof(
    hostileJsonNumber,
    hostileText.map((s) => JSON.stringify(s)),
    fc.constantFrom('null', 'true', '[]', '{}', '0', '1'),
  );
  if (!schema || depth > 3) return leaf;
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => shapedJson(s, depth + 1)));
  if (schema.const !== undefined) return fc.oneof(fc.constant(JSON.stringify(schema.const)), leaf);
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum.map((v) => JSON.stringify(v))), leaf);
  if (schema.properties) {
    const entries = Object.entries(schema.properties);
    return fc
      .subarray(entries)
      .chain((chosen) => fc.tuple(...chosen.map(([name, s]) => shapedJson(s, depth + 1).map((value) => `${JSON.stringify(name)}:${value}`))))
      .map((fields) => `{${fields.join(',')}}`);
  }
  if (schema.items) return fc.array(shapedJson(schema.items, depth + 1), { maxLength: 4 }).map((items) => `[${items.join(',')}]`);
  return leaf;
}

const body = (schema: JsonSchema | undefined) =>
  fc.oneof(
    { weight: 5, arbitrary: shapedJson(schema) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

describe('every route of the OpenAPI document, fuzzed', () => {
  it('answers no 5xx to malformed query strings, path parameters and JSON bodies', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(13);
    const request = fc.integer({ min: 0, max: operations.length - 1 }).chain((index) => {
      const operation = operations[index]!;
      return fc.record({
        operation: fc.constant(operation),
        pathParam: hostileText,
        query: queryString(operation.query),
        body: operation.method === 'GET' || operation.method === 'DELETE' ? fc.constant(undefined) : body(operation.body),
      });
    });
    const failures: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(request, async ({ operation, pathParam, query, body }) => {
          const url = operation.path.replace(/\{[^}]+\}/g, encodeURIComponent(pathParam) || 'x') + (query ? `?${query}` : '');
          const response = await app.inject({
            method: operation.method,
            url,
            ...(body === undefined ? {} : { payload: body, headers: { 'content-type': 'application/json' } }),
          });
          if (response.statusCode >= 500) failures.push(`${operation.method} ${url} ${body ?? ''} → ${response.statusCode} ${response.body}`);
          return response.statusCode < 500;
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 400), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}\n${failures.slice(0, 5).join('\n')}`);
      });
  });
});
