import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type, type Static } from '@sinclair/typebox';
import {
  buildConversationPairs,
  decodeUtf8Strict,
  parseConversationPairs,
  parseMessengerZip,
  parsePriceCsv,
  parseTextCorpus,
  parseWordVectors,
  unigramEntropyBits,
  type ConversationPair,
} from '@mlq/datasets';
import { PAIR_EXAMPLES, withRedisTimeout, type DatasetRecord } from '@mlq/jobs';
import { deleteDataset, UsageIndex } from '@mlq/jobs';
import { StoreUsageSchema } from './models.ts';
import { HttpError } from '../plugins/errors.ts';

export const DatasetSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Union(['prices', 'text', 'pairs', 'word-vectors'].map((kind) => Type.Literal(kind)), {
      description: '`prices` (price models), `text` (textgen), `pairs` (seq2seq), `word-vectors` (seq2seq embeddings)',
    }),
    source: Type.Union([Type.Literal('builtin'), Type.Literal('upload')]),
    description: Type.String(),
    format: Type.String(),
    createdAt: Type.String(),
    bytes: Type.Optional(Type.Integer()),
    license: Type.Optional(Type.String()),
    summary: Type.Unknown({
      description:
        'prices: { format, seriesCount, rowCount, series[] }; text: { bytes, characters, distinctCharacters, lines, unigramBitsPerChar }; ' +
        'pairs: { pairs, source, examples[], and for a Messenger export owner, maxGapMinutes, messenger: { pairs, threads, messages, skipped by reason } }; ' +
        'word-vectors: { format, words, dimension, duplicatesSkipped }',
    }),
  },
  { $id: 'Dataset' },
);

const uploadKinds = ['prices', 'text', 'pairs', 'messenger', 'word-vectors'] as const;
type UploadKind = (typeof uploadKinds)[number];

const formatsByKind: Record<UploadKind, readonly string[]> = {
  prices: ['auto', 'ohlc', 'long'],
  text: ['auto'],
  pairs: ['auto', 'json', 'csv'],
  messenger: ['auto'],
  'word-vectors': ['auto', 'glove', 'word2vec'],
};

const UploadQuerySchema = Type.Object({
  kind: Type.Union(uploadKinds.map((kind) => Type.Literal(kind)), {
    default: 'prices',
    description:
      '`prices`: a price CSV; `text`: UTF-8 text for textgen; `pairs`: (input, reply) pairs as JSON or CSV; ' +
      '`messenger`: a zipped Facebook Messenger JSON export, turned into pairs for `owner`; `word-vectors`: GloVe/word2vec text',
  }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Dataset name. Default: the file name' })),
  series: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'prices: series name of a one-series file. Default: the dataset name' })),
  format: Type.Union([...new Set(Object.values(formatsByKind).flat())].map((format) => Type.Literal(format)), {
    default: 'auto',
    description: 'prices: auto|ohlc|long; pairs: auto|json|csv; word-vectors: auto|glove|word2vec',
  }),
  owner: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'messenger (required): your name as Messenger shows it; its replies are what the model learns' }),
  ),
  maxGapMinutes: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, maximum: 525_600, description: 'messenger: longest silence before a reply still counts as one, minutes. Default 360' }),
  ),
});
type UploadQuery = Static<typeof UploadQuerySchema>;

const rawTypes = ['text/csv', 'text/plain', 'application/octet-stream', 'application/zip', 'application/x-zip-compressed', 'application/json'];

/** What an upload becomes: the bytes kept in the store and the record's kind-specific part. */
type ParsedUpload = { stored: Uint8Array; file: string } & DistributiveOmit<DatasetRecord, 'id' | 'name' | 'source' | 'createdAt' | 'artifactKey' | 'bytes' | 'license'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const examplesOf = (pairs: readonly ConversationPair[]) => pairs.slice(0, PAIR_EXAMPLES).map(({ input, reply }) => ({ input, reply }));
const pairsJson = (pairs: readonly ConversationPair[]) => new TextEncoder().encode(JSON.stringify({ pairs: pairs.map(({ input, reply }) => ({ input, reply })) }));

/** Parses an upload by kind; every parser throws `DatasetParseError` (a 400 naming file, line and problem). */
function parseUpload(kind: UploadKind, bytes: Buffer, name: string, query: UploadQuery, maxBytes: number): ParsedUpload {
  if (!formatsByKind[kind].includes(query.format)) {
    throw new HttpError(400, `format ${query.format} does not apply to kind ${kind} (one of ${formatsByKind[kind].join(', ')})`, 'querystring/format');
  }
  switch (kind) {
    case 'prices': {
      const seriesName = query.series ?? name.replace(/\.[^.]*$/, '');
      const collection = parsePriceCsv(decodeUtf8Strict(bytes, name), { file: name, seriesName, format: query.format as 'auto' | 'ohlc' | 'long' });
      const summary = collection.summary();
      return {
        kind: 'prices',
        stored: bytes,
        file: 'data.csv',
        description: `Uploaded ${summary.format} CSV`,
        format: summary.format,
        summary,
        ...(summary.format === 'ohlc' ? { seriesName } : {}),
      };
    }
    case 'text': {
      const corpus = parseTextCorpus(bytes, { source: name, maxBytes });
      return {
        kind: 'text',
        stored: bytes,
        file: 'corpus.txt',
        description: 'Uploaded text',
        format: 'text',
        summary: { ...corpus.summary, unigramBitsPerChar: unigramEntropyBits(corpus.text) },
      };
    }
    case 'pairs': {
      const format = query.format as 'auto' | 'json' | 'csv';
      const pairs = parseConversationPairs(bytes, { source: name, format });
      const detected = format === 'auto' ? (/^\s*[[{]/.test(bytes.subarray(0, 64).toString('utf8').replace(/^\ufeff/, '')) ? 'json' : 'csv') : format;
      return {
        kind: 'pairs',
        stored: pairsJson(pairs),
        file: 'pairs.json',
        description: `Uploaded conversation pairs (${detected.toUpperCase()})`,
        format: detected,
        summary: { pairs: pairs.length, source: detected, examples: examplesOf(pairs) },
      };
    }
    case 'messenger': {
      if (!query.owner) throw new HttpError(400, 'a Messenger export needs owner: your name as Messenger shows it, whose replies the model learns', 'querystring/owner');
      const threads = parseMessengerZip(bytes, { source: name });
      const maxGapMinutes = query.maxGapMinutes ?? 360;
      const { pairs, summary } = buildConversationPairs(threads, { owner: query.owner, maxGapMinutes });
      if (pairs.length === 0) {
        throw new HttpError(400, `the export gave no (message → reply) pairs for ${query.owner} across ${summary.threads.total} threads`, 'body', { summary });
      }
      return {
        kind: 'pairs',
        stored: pairsJson(pairs),
        file: 'pairs.json',
        description: `Messenger export of ${query.owner}: ${summary.pairs} pairs from ${summary.threads.used} of ${summary.threads.total} threads`,
        format: 'messenger',
        summary: { pairs: pairs.length, source: 'messenger', owner: query.owner, maxGapMinutes, messenger: summary, examples: examplesOf(pairs) },
      };
    }
    case 'word-vectors': {
      const vectors = parseWordVectors(bytes, { source: name, format: query.format as 'auto' | 'glove' | 'word2vec' });
      return {
        kind: 'word-vectors',
        stored: bytes,
        file: 'vectors.txt',
        description: `Uploaded ${vectors.format} word vectors`,
        format: vectors.format,
        summary: { format: vectors.format, words: vectors.words.length, dimension: vectors.dimension, duplicatesSkipped: vectors.duplicatesSkipped },
      };
    }
  }
}

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, store, datasets } = app.services;
  const maxBytes = config.MAX_UPLOAD_BYTES;

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10 } });
  // Uploads are files, whatever their type: this route reads JSON pairs as bytes too.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(rawTypes, { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/datasets',
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset (raw body or multipart field `file`): prices, text, pairs, a Messenger export or word vectors',
        description:
          '`kind=prices` (default): one series per file (`Date,Open,High,Low,Close,Volume,Market Cap`, as CoinMarketCap exports it), ' +
          'or many series in one file (a date column, a series column such as `symbol`, a close column such as `close` or `price`). ' +
          '`kind=text`: UTF-8 text (no NUL bytes, not empty). `kind=pairs`: JSON `[{"input","reply"}]` or CSV with `input` and `reply` columns. ' +
          '`kind=messenger&owner=<your name>`: the zip of a Facebook "Download your information" export in JSON format; the summary reports pairs, threads and what was skipped. ' +
          `\`kind=word-vectors\`: GloVe or word2vec text. At most ${maxBytes} bytes.`,
        consumes: ['text/csv', 'text/plain', 'application/json', 'application/zip', 'multipart/form-data'],
        querystring: UploadQuerySchema,
        response: {
          201: Type.Ref('Dataset'),
          400: Type.Ref('Error'),
          413: Type.Ref('Error'),
          415: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      let bytes: Buffer;
      let fileName: string | undefined;
      if (request.isMultipart()) {
        const file = await request.file();
        if (!file) throw new HttpError(400, 'multipart upload has no file field', 'body/file');
        fileName = file.filename || undefined;
        bytes = await file.toBuffer();
      } else if (Buffer.isBuffer(request.body)) {
        bytes = request.body;
      } else {
        throw new HttpError(415, `send the file as its own content type (text/csv, text/plain, application/json, application/zip) or multipart/form-data, not ${request.headers['content-type'] ?? 'no content type'}`);
      }
      if (bytes.length === 0) throw new HttpError(400, 'the uploaded file is empty', 'body');

      const { kind } = request.query;
      const contentType = request.headers['content-type']?.split(';')[0]?.trim();
      if (contentType === 'application/json' && kind !== 'pairs') {
        throw new HttpError(415, `application/json uploads are pairs (kind=pairs); a ${kind} dataset is sent as ${kind === 'messenger' ? 'application/zip' : kind === 'prices' ? 'text/csv' : 'text/plain'}`);
      }
      const name = request.query.name ?? fileName ?? `upload.${kind === 'messenger' ? 'zip' : kind === 'prices' ? 'csv' : 'txt'}`;
      const { stored, file, ...parsed } = parseUpload(kind, bytes, name, request.query, maxBytes);

      const id = `ds_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const artifactKey = `datasets/${id}/${file}`;
      await store.put(artifactKey, stored);
      const record = { ...parsed, id, name, source: 'upload', createdAt: new Date().toISOString(), artifactKey, bytes: bytes.length } as DatasetRecord;
      await withRedisTimeout(datasets.add(record), config.REDIS_TIMEOUT_MS);
      request.log.info({ datasetId: id, kind: record.kind, bytes: bytes.length }, 'dataset uploaded');
      return reply.status(201).send(record);
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Built-in and uploaded datasets',
        querystring: Type.Object({
          kind: Type.Optional(Type.Union(['prices', 'text', 'pairs', 'word-vectors'].map((k) => Type.Literal(k)), { description: 'Only datasets of this kind' })),
        }),
        response: { 200: Type.Object({ datasets: Type.Array(Type.Ref('Dataset')) }), 400: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => {
      const all = await app.catalog.list();
      const { kind } = request.query;
      return { datasets: kind ? all.filter((record) => (record.kind ?? 'prices') === kind) : all };
    },
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'One dataset with its summary',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Ref('Dataset'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => app.catalog.record(request.params.id),
  );

  app.delete(
    '/v1/datasets/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['datasets'],
        summary: 'Delete an uploaded dataset: its record and stored file',
        description:
          'Built-in datasets cannot be deleted (400). Refused with 409, naming the job, while a waiting or running training, batch or chatbot ' +
          'training (as its word vectors) uses it. Models trained on it stay.',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Object({ id: Type.String(), deleted: Type.Literal(true), store: StoreUsageSchema }),
          400: Type.Ref('Error'),
          404: Type.Ref('Error'),
          409: Type.Ref('Error'),
          503: Type.Ref('Error'),
        },
      },
    },
    async (request) => {
      const usage = new UsageIndex(app.services.redis, config.QUEUE_PREFIX);
      const result = await withRedisTimeout(deleteDataset({ usage, store }, request.params.id), config.REDIS_TIMEOUT_MS * 2);
      app.catalog.forget(request.params.id);
      request.log.info({ datasetId: request.params.id }, 'dataset deleted');
      return { id: result.dataset.id, deleted: true as const, store: result.store };
    },
  );
};
