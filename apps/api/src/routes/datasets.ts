import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type, type Static } from '@sinclair/typebox';
import { deleteDataset, UsageIndex, withRedisTimeout, type DatasetRecord } from '@mlq/jobs';
import { StoreUsageSchema } from './models.ts';
import { HttpError } from '../plugins/errors.ts';
import { UploadParserPool, UploadPoolFullError } from '../uploads/parser-pool.ts';
import { receiveUpload } from '../uploads/receive-upload.ts';
import { removeStaleUploads } from '../uploads/stale-uploads.ts';
import { formatsByKind, uploadKinds, type UploadKind } from '../uploads/upload-task.ts';

/** Longest dataset name, given (`name=`) or taken from a multipart file name. */
const MAX_NAME_LENGTH = 200;

export const DatasetSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Union(
      ['prices', 'text', 'pairs', 'word-vectors'].map((kind) => Type.Literal(kind)),
      {
        description: '`prices` (price models), `text` (textgen), `pairs` (seq2seq), `word-vectors` (seq2seq embeddings)',
      },
    ),
    source: Type.Union([Type.Literal('builtin'), Type.Literal('upload')]),
    description: Type.String(),
    format: Type.String(),
    createdAt: Type.String(),
    bytes: Type.Optional(Type.Integer()),
    license: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer({ description: 'prices uploads: 1, plus one per `POST /v1/datasets/:id/rows`' })),
    updatedAt: Type.Optional(Type.String({ description: 'When rows were last appended' })),
    summary: Type.Unknown({
      description:
        'prices: { format, seriesCount, rowCount, series[] }; text: { bytes, characters, distinctCharacters, lines, unigramBitsPerChar }; ' +
        'pairs: { pairs, source, examples[], and for a Messenger export owner, maxGapMinutes, messenger: { pairs, threads, messages, skipped by reason } }; ' +
        'word-vectors: { format, words, dimension, duplicatesSkipped }',
    }),
  },
  { $id: 'Dataset' },
);

const UploadQuerySchema = Type.Object({
  kind: Type.Union(
    uploadKinds.map((kind) => Type.Literal(kind)),
    {
      default: 'prices',
      description:
        '`prices`: a price CSV; `text`: UTF-8 text for textgen; `pairs`: (input, reply) pairs as JSON or CSV; ' +
        '`messenger`: a zipped Facebook Messenger JSON export, turned into pairs for `owner`; `word-vectors`: GloVe/word2vec text',
    },
  ),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'Dataset name. Default: the file name' })),
  series: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'prices: series name of a one-series file. Default: the dataset name' })),
  format: Type.Union(
    [...new Set(Object.values(formatsByKind).flat())].map((format) => Type.Literal(format)),
    {
      default: 'auto',
      description: 'prices: auto|ohlc|long; pairs: auto|json|csv; word-vectors: auto|glove|word2vec',
    },
  ),
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'messenger (required): your name as Messenger shows it; its replies are what the model learns' })),
  maxGapMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 525_600, description: 'messenger: longest silence before a reply still counts as one, minutes. Default 360' })),
});
type UploadQuery = Static<typeof UploadQuerySchema>;

const rawTypes = ['text/csv', 'text/plain', 'application/octet-stream', 'application/zip', 'application/x-zip-compressed', 'application/json'];

/** Where uploads wait, as temporary files, while they arrive and are parsed: on the store's disk. */
const UPLOADS_DIR = '.uploads';
/** A temporary upload file older than this belongs to no live request (uploads stream at MB/s). */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** Cheap checks of the query, before the body is read. */
function checkUploadQuery(kind: UploadKind, query: UploadQuery, contentType: string | undefined): void {
  if (!formatsByKind[kind].includes(query.format)) {
    throw new HttpError(400, `format ${query.format} does not apply to kind ${kind} (one of ${formatsByKind[kind].join(', ')})`, 'querystring/format');
  }
  if (kind === 'messenger' && !query.owner) {
    throw new HttpError(400, 'a Messenger export needs owner: your name as Messenger shows it, whose replies the model learns', 'querystring/owner');
  }
  if (contentType === 'application/json' && kind !== 'pairs') {
    throw new HttpError(
      415,
      `application/json uploads are pairs (kind=pairs); a ${kind} dataset is sent as ${kind === 'messenger' ? 'application/zip' : kind === 'prices' ? 'text/csv' : 'text/plain'}`,
    );
  }
}

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, store, datasets } = app.services;
  const maxBytes = config.MAX_UPLOAD_BYTES;
  const limits = (kind: UploadKind) =>
    kind === 'messenger' ? { maxBytes: config.MAX_MESSENGER_UPLOAD_BYTES, limitName: 'MAX_MESSENGER_UPLOAD_BYTES' } : { maxBytes, limitName: 'MAX_UPLOAD_BYTES' };
  const uploadsDir = join(resolve(config.MODEL_STORE_DIR), UPLOADS_DIR);
  const MiB = 1024 * 1024;
  const parsers = new UploadParserPool({
    threads: config.UPLOAD_PARSE_THREADS,
    queueLength: config.UPLOAD_PARSE_QUEUE,
    // Parsed JSON takes several times its bytes; a CSV or corpus about twice.
    heapMb: Math.max(256, Math.ceil((10 * config.MAX_MESSENGER_JSON_BYTES) / MiB), Math.ceil((6 * maxBytes) / MiB)),
  });
  app.addHook('onClose', () => parsers.close());
  app.addHook('onReady', async () => {
    const removed = await removeStaleUploads(uploadsDir, STALE_UPLOAD_MS);
    if (removed > 0) app.log.info({ removed }, 'removed temporary upload files left by an earlier process');
  });

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10 } });
  // Uploads are files, whatever their type: this route reads JSON pairs as bytes too. The body
  // stays a stream: receiveUpload writes it to disk as it arrives, bounded by the kind's limit.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(rawTypes, (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset (raw body or multipart field `file`): prices, text, pairs, a Messenger export or word vectors',
        description:
          '`kind=prices` (default): one series per file (`Date,Open,High,Low,Close,Volume,Market Cap`, as CoinMarketCap exports it), ' +
          'or many series in one file (a date column, a series column such as `symbol`, a close column such as `close` or `price`). ' +
          '`kind=text`: UTF-8 text (no NUL bytes, not empty). `kind=pairs`: JSON `[{"input","reply"}]` or CSV with `input` and `reply` columns. ' +
          '`kind=messenger&owner=<your name>`: the zip of a Facebook "Download your information" export in JSON format; the summary reports pairs, threads and what was skipped. ' +
          `Only its message JSON files are read (at most ${config.MAX_MESSENGER_JSON_BYTES} bytes inflated); photos and videos are skipped. ` +
          `\`kind=word-vectors\`: GloVe or word2vec text. At most ${maxBytes} bytes (a Messenger zip: ${config.MAX_MESSENGER_UPLOAD_BYTES}). ` +
          'The upload is streamed to disk and parsed off the event loop; 503 with retry-after when every parser is busy.',
        consumes: ['text/csv', 'text/plain', 'application/json', 'application/zip', 'multipart/form-data'],
        querystring: UploadQuerySchema,
        response: {
          201: Type.Ref('Dataset'),
          400: Type.Ref('Error'),
          413: Type.Ref('Error'),
          415: Type.Ref('Error'),
          503: Type.Ref('Error'),
          507: Type.Ref('Error'),
        },
      },
    },
    async (request, reply) => {
      const { kind } = request.query;
      const contentType = request.headers['content-type']?.split(';')[0]?.trim();
      checkUploadQuery(kind, request.query, contentType);
      try {
        // Refused before the body is read: a busy API does not take in gigabytes it cannot parse.
        parsers.assertRoom();
      } catch (error) {
        if (error instanceof UploadPoolFullError) reply.header('retry-after', String(error.retryAfterSeconds));
        throw error;
      }

      const upload = await receiveUpload(request, { dir: uploadsDir, ...limits(kind) }).catch((error: unknown) => {
        // The rest of a body over the limit is not worth reading: close the connection after the 413.
        if (error instanceof HttpError && error.statusCode === 413) reply.header('connection', 'close');
        throw error;
      });
      let record: DatasetRecord;
      try {
        if (upload.bytes === 0) throw new HttpError(400, 'the uploaded file is empty', 'body');
        if (request.query.name === undefined && upload.fileName !== undefined && upload.fileName.length > MAX_NAME_LENGTH) {
          throw new HttpError(400, `the file name is longer than ${MAX_NAME_LENGTH} characters; give the dataset a shorter one with name=`, 'body/file');
        }
        const name = request.query.name ?? upload.fileName ?? `upload.${kind === 'messenger' ? 'zip' : kind === 'prices' ? 'csv' : 'txt'}`;
        const { query } = request;
        const { stored, file, ...parsed } = await parsers
          .parse({
            kind,
            path: upload.path,
            bytes: upload.bytes,
            name,
            format: query.format,
            ...(query.series !== undefined ? { series: query.series } : {}),
            ...(query.owner !== undefined ? { owner: query.owner } : {}),
            ...(query.maxGapMinutes !== undefined ? { maxGapMinutes: query.maxGapMinutes } : {}),
            maxBytes,
            maxMessengerJsonBytes: config.MAX_MESSENGER_JSON_BYTES,
          })
          .catch((error: unknown) => {
            if (error instanceof UploadPoolFullError) reply.header('retry-after', String(error.retryAfterSeconds));
            throw error;
          });

        const id = `ds_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        const artifactKey = `datasets/${id}/${file}`;
        await store.put(artifactKey, stored);
        record = { ...parsed, id, name, source: 'upload', createdAt: new Date().toISOString(), artifactKey, bytes: upload.bytes } as DatasetRecord;
        await withRedisTimeout(datasets.add(record), config.REDIS_TIMEOUT_MS);
      } finally {
        // Before answering: the client sees no temporary file left behind.
        await rm(upload.path, { force: true });
      }
      request.log.info({ datasetId: record.id, kind: record.kind, bytes: upload.bytes }, 'dataset uploaded');
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
          kind: Type.Optional(
            Type.Union(
              ['prices', 'text', 'pairs', 'word-vectors'].map((k) => Type.Literal(k)),
              { description: 'Only datasets of this kind' },
            ),
          ),
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
          'Built-in datasets cannot be deleted (400). Refused with 409, naming the job, while a waiting or running training, batch, backtest or chatbot ' +
          'training (as its word vectors) uses it. Models trained on it stay; appended rows go with it.',
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
