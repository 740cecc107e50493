import fc from 'fast-check';

/** Just enough of an OpenAPI 3 document to generate requests from it. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}
interface OpenApiOperation {
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
type JsonSchema = Record<string, any>;

export interface GeneratedRequest {
  method: string;
  /** Path and query, already encoded (some on purpose badly). */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** What was generated, for the report. */
  what: string;
}

/** Every operation of the document: `[method, path template, operation]`. */
export function operations(doc: OpenApiDocument): Array<[string, string, OpenApiOperation]> {
  const result: Array<[string, string, OpenApiOperation]> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) result.push([method.toUpperCase(), path, operation]);
    }
  }
  return result;
}

const RAW = '__raw__';
/** Number tokens JSON.parse turns into Infinity, 0, or loses precision on; written unquoted into the body. */
const rawNumbers = ['1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '1.7976931348623157e+308', '4294967297', '0.1e1'];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom('Infinity', '-Infinity', 'NaN', '1e309', '', ' ', '0x10', '1_000', '\u0000', '\ud800', '../../etc/passwd'),
  fc.constantFrom(...rawNumbers).map((token) => `${RAW}${token}`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 1 }), { maxKeys: 4 }),
  fc.integer({ min: 50, max: 2_000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))),
);

function resolve(schema: JsonSchema | undefined, doc: OpenApiDocument): JsonSchema {
  if (!schema) return {};
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    return doc.components?.schemas?.[name] ?? {};
  }
  return schema;
}

/** A value that fits the schema (roughly): the base that mutations then break. */
function plausible(raw: JsonSchema | undefined, doc: OpenApiDocument, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(raw, doc);
  if (depth > 4) return fc.constant(null);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return fc.oneof(...alternatives.map((s: JsonSchema) => plausible(s, doc, depth + 1)));
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 12, 12) });
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1_000, -1e9), max: Math.min(schema.maximum ?? 1_000, 1e9) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(plausible(schema.items, doc, depth + 1), { minLength: Math.min(schema.minItems ?? 0, 3), maxLength: 3 });
    case 'object': {
      const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
      const required = new Set<string>(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, value] of properties) record[key] = plausible(value, doc, depth + 1);
      return fc.record(record, { requiredKeys: properties.map(([k]) => k).filter((k) => required.has(k)) });
    }
    default:
      return fc.anything({ maxDepth: 1 });
  }
}

type Mutation = (value: unknown) => unknown;
/** Ways to break a body: a field replaced by something hostile, a required field dropped, an unknown field added, the whole body swapped. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), hostileValue).map(([pick, bad]): Mutation => (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return bad;
    const keys = Object.keys(value);
    if (keys.length === 0) return { ...value, [`extra${pick % 3}`]: bad };
    const key = keys[pick % keys.length]!;
    const inner = (value as Record<string, unknown>)[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner) && Object.keys(inner).length > 0) {
      const innerKeys = Object.keys(inner);
      return { ...value, [key]: { ...inner, [innerKeys[pick % innerKeys.length]!]: bad } };
    }
    return { ...value, [key]: bad };
  }),
  fc.nat().map((pick): Mutation => (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 0) return value;
    const copy = { ...(value as Record<string, unknown>) };
    delete copy[keys[pick % keys.length]!];
    return copy;
  }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), hostileValue).map(
    ([key, bad]): Mutation =>
      (value) =>
        value && typeof value === 'object' && !Array.isArray(value) ? { ...value, [key]: bad } : bad,
  ),
  hostileValue.map(
    (bad): Mutation =>
      () =>
        bad,
  ),
);

const serialise = (value: unknown) => (JSON.stringify(value) ?? 'undefined').replace(new RegExp(`"${RAW}([^"]*)"`, 'g'), (_m, token: string) => token);

type Encoding = 'json' | 'truncated' | 'invalid-json' | 'utf16' | 'bad-utf8' | 'wrong-type' | 'empty' | 'charset' | 'multipart';
const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Encoding>('json') },
  { weight: 4, arbitrary: fc.constantFrom<Encoding>('truncated', 'invalid-json', 'utf16', 'bad-utf8', 'wrong-type', 'empty', 'charset', 'multipart') },
);

function encodeBody(text: string, how: Encoding, cut: number): { body: string | Uint8Array; headers: Record<string, string> } {
  const json = { 'content-type': 'application/json' };
  switch (how) {
    case 'json':
      return { body: text, headers: json };
    case 'truncated':
      return { body: text.slice(0, Math.max(0, Math.floor((text.length * (cut % 100)) / 100))), headers: json };
    case 'invalid-json':
      return { body: `${text.slice(0, cut % Math.max(1, text.length))}{,]}'\u0000`, headers: json };
    case 'utf16':
      return { body: Buffer.from(`\ufeff${text}`, 'utf16le'), headers: json };
    case 'bad-utf8':
      return { body: Buffer.concat([Buffer.from(text.slice(0, Math.max(0, text.length - 2))), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(text.slice(-2))]), headers: json };
    case 'wrong-type':
      return { body: text, headers: { 'content-type': ['text/xml', 'application/x-www-form-urlencoded', 'image/png', 'application/json; charset=latin1', '*/*'][cut % 5]! } };
    case 'empty':
      return { body: '', headers: json };
    case 'charset':
      return {
        body: text,
        headers: {
          'content-type': ['application/json; charset=utf-7', 'application/json; charset=ebcdic', 'APPLICATION/JSON', 'application/json;;;', 'application/json; boundary='][cut % 5]!,
        },
      };
    case 'multipart':
      return multipartBody(text, cut);
  }
}

/** Broken multipart bodies: no boundary, truncated, wrong boundary, a part without a name, nested. */
export function multipartBody(content: string, pick: number): { body: string; headers: Record<string, string> } {
  const boundary = 'chaosBoundary';
  const part = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.csv"\r\ncontent-type: text/csv\r\n\r\n${content}\r\n`;
  const variants: Array<{ body: string; headers: Record<string, string> }> = [
    { body: `${part}--${boundary}--\r\n`, headers: { 'content-type': 'multipart/form-data' } },
    { body: part.slice(0, Math.max(1, Math.floor(part.length / 2))), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } },
    { body: `${part}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } },
    { body: `${part}--${boundary}--\r\n`, headers: { 'content-type': 'multipart/form-data; boundary=other' } },
    { body: `--${boundary}\r\ncontent-disposition: form-data\r\n\r\n${content}\r\n--${boundary}--\r\n`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } },
    { body: `--${boundary}\r\n${'x'.repeat(100_000)}\r\n\r\n--${boundary}--\r\n`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } },
    { body: `${part}--${boundary}--\r\n`, headers: { 'content-type': `multipart/form-data; boundary="${'b'.repeat(300)}"` } },
    { body: '', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } },
  ];
  return variants[pick % variants.length]!;
}

const hostileQueryValue = fc.oneof(
  fc.constantFrom('Infinity', '-Infinity', '1e309', '-1', 'NaN', '', '1.5', 'true', '%zz', '%00', '0x1f', '9007199254740993', '1e3', '[]', '{}'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => 'a'.repeat(n)),
);

const hostilePathValue = fc.oneof(
  fc.constantFrom('x', 'crypto-top100', 'tr_0', '%00', '..%2F..%2Fetc%2Fpasswd', '%E0%A4%A', '%C3%A9', 'a%2Fb', '.', '%2e%2e', '~', '%20', 'null'),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: 1_000, max: 8_000 }).map((n) => 'i'.repeat(n)),
);

/** Requests generated from the document: every operation, with hostile path, query, body and encodings. */
export function requestArbitrary(doc: OpenApiDocument, skip: (method: string, path: string) => boolean = () => false): fc.Arbitrary<GeneratedRequest> {
  const ops = operations(doc).filter(([method, path]) => !skip(method, path));
  return fc.oneof(
    ...ops.map(([method, template, operation]) => {
      const params = operation.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
      const pathValues = fc.tuple(...pathParams.map(() => hostilePathValue));
      const query = fc.tuple(
        ...queryParams.map((p) =>
          fc.option(
            fc.oneof(
              plausible(p.schema, doc).map((v) => encodeURIComponent(String(v))),
              hostileQueryValue,
            ),
            { nil: undefined },
          ),
        ),
      );
      const extraQuery = fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), hostileQueryValue), { nil: undefined });
      const body = bodySchema
        ? fc.tuple(plausible(bodySchema, doc), fc.array(mutation, { minLength: 1, maxLength: 3 }), encoding, fc.nat())
        : method === 'POST' || method === 'PUT'
          ? fc.tuple(fc.constant({}), fc.array(mutation, { minLength: 1, maxLength: 2 }), encoding, fc.nat())
          : fc.constant(undefined);
      return fc.tuple(pathValues, query, extraQuery, body).map(([values, queryValues, extra, bodyParts]): GeneratedRequest => {
        let path = template;
        pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i] as string)));
        const pairs = queryParams.flatMap((p, i) => (queryValues[i] === undefined ? [] : [`${p.name}=${queryValues[i]}`]));
        if (extra) pairs.push(`${encodeURIComponent(extra[0])}=${extra[1]}`);
        const url = pairs.length > 0 ? `${path}?${pairs.join('&')}` : path;
        if (!bodyParts) return { method, url, headers: {}, what: `${method} ${template}` };
        const [base, mutations, how, cut] = bodyParts;
        const value = mutations.reduce<unknown>((v, m) => m(v), base);
        const encoded = encodeBody(serialise(value), how, cut);
        return { method, url, headers: encoded.headers, body: encoded.body, what: `${method} ${template} (${how})` };
      });
    }),
  );
}
