import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { decodeUtf8Strict, parsePriceCsv } from '@mlq/datasets';
import { withRedisTimeout, type DatasetRecord } from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';

export const DatasetSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    source: Type.Union([Type.Literal('builtin'), Type.Literal('upload')]),
    description: Type.String(),
    format: Type.String(),
    createdAt: Type.String(),
    bytes: Type.Optional(Type.Integer()),
    license: Type.Optional(Type.String()),
    summary: Type.Object({
      format: Type.String(),
      seriesCount: Type.Integer(),
      rowCount: Type.Integer(),
      series: Type.Array(Type.Object({ name: Type.String(), rows: Type.Integer(), from: Type.String(), to: Type.String() })),
    }),
  },
  { $id: 'Dataset' },
);

const rawTypes = ['text/csv', 'text/plain', 'application/octet-stream'];

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, store, datasets } = app.services;
  const maxBytes = config.MAX_UPLOAD_BYTES;

  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10 } });
  app.addContentTypeParser(rawTypes, { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/datasets',
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ['datasets'],
        summary: 'Upload a price CSV (raw body or multipart field `file`)',
        description:
          'Two formats: one series per file (`Date,Open,High,Low,Close,Volume,Market Cap`, as CoinMarketCap exports it), ' +
          'or many series in one file (a date column, a series column such as `symbol`, a close column such as `close` or `price`). ' +
          `At most ${maxBytes} bytes.`,
        consumes: ['text/csv', 'multipart/form-data'],
        querystring: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Dataset name. Default: the file name' })),
          series: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Series name of a one-series file. Default: the dataset name' })),
          format: Type.Union([Type.Literal('auto'), Type.Literal('ohlc'), Type.Literal('long')], { default: 'auto' }),
        }),
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
        throw new HttpError(415, `send the CSV as text/csv (or multipart/form-data), not ${request.headers['content-type'] ?? 'no content type'}`);
      }
      if (bytes.length === 0) throw new HttpError(400, 'the uploaded file is empty', 'body');

      const name = request.query.name ?? fileName ?? 'upload.csv';
      const seriesName = request.query.series ?? name.replace(/\.[^.]*$/, '');
      const text = decodeUtf8Strict(bytes, name);
      const collection = parsePriceCsv(text, { file: name, seriesName, format: request.query.format });
      const summary = collection.summary();

      const id = `ds_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const artifactKey = `datasets/${id}/data.csv`;
      await store.put(artifactKey, bytes);
      const record: DatasetRecord = {
        id,
        name,
        kind: 'prices',
        source: 'upload',
        description: `Uploaded ${summary.format} CSV`,
        format: summary.format,
        summary,
        createdAt: new Date().toISOString(),
        artifactKey,
        bytes: bytes.length,
        ...(summary.format === 'ohlc' ? { seriesName } : {}),
      };
      await withRedisTimeout(datasets.add(record), config.REDIS_TIMEOUT_MS);
      return reply.status(201).send(record);
    },
  );

  app.get(
    '/v1/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Built-in and uploaded datasets',
        response: { 200: Type.Object({ datasets: Type.Array(Type.Ref('Dataset')) }), 503: Type.Ref('Error') },
      },
    },
    async () => ({ datasets: await app.catalog.list() }),
  );

  app.get(
    '/v1/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'One dataset with its series summary',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 200: Type.Ref('Dataset'), 404: Type.Ref('Error'), 503: Type.Ref('Error') },
      },
    },
    async (request) => app.catalog.record(request.params.id),
  );
};
