import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../plugins/errors.ts';

/** An upload written to a temporary file; the caller removes `path` when done with it. */
export interface ReceivedUpload {
  path: string;
  bytes: number;
  /** The multipart part's file name, if it had one. */
  fileName?: string;
}

export interface ReceiveUploadOptions {
  /** Directory of the temporary files (under the store directory, so that a rename stays on one disk). */
  dir: string;
  maxBytes: number;
  /** The variable that sets `maxBytes`, named in the 413. */
  limitName: string;
}

/** Multipart field that carries the file. */
export const FILE_FIELD = 'file';

/**
 * Streams a request's upload (the raw body, or the multipart field `file`) to a temporary file as
 * it arrives, never holding it whole in memory, and stops at `maxBytes` with a 413. On any
 * failure the temporary file is removed before the error is thrown.
 * @throws HttpError 413 over the limit; 400 for a truncated or malformed body, a multipart body
 *   without boundary, without a `file` field or with a second file; 415 for a body of another type
 */
export async function receiveUpload(request: FastifyRequest, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes && !request.isMultipart()) throw tooLarge(options);
  await mkdir(options.dir, { recursive: true });
  const path = join(options.dir, `${randomUUID()}.upload`);
  try {
    if (request.isMultipart()) return { path, ...(await receiveMultipart(request, path, options)) };
    if (request.body instanceof Readable) return { path, bytes: await writeLimited(request.body, path, options) };
    throw new HttpError(
      415,
      `send the file as its own content type (text/csv, text/plain, application/json, application/zip) or multipart/form-data, not ${request.headers['content-type'] ?? 'no content type'}`,
    );
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

async function receiveMultipart(request: FastifyRequest, path: string, options: ReceiveUploadOptions): Promise<{ bytes: number; fileName?: string }> {
  let received: { bytes: number; fileName?: string } | undefined;
  try {
    // Two files allowed by the parser so that a second one is refused here, by name, with a 400.
    const limits = { fileSize: options.maxBytes, files: 2, fields: 20, fieldSize: 64 * 1024, parts: 30 };
    const parts = request.parts({ limits, throwFileSizeLimit: false } as Parameters<FastifyRequest['parts']>[0]);
    for await (const part of parts) {
      if (part.type !== 'file') continue;
      if (part.fieldname !== FILE_FIELD) {
        part.file.resume();
        throw new HttpError(400, `multipart field "${part.fieldname}" holds a file; send the upload as field "${FILE_FIELD}"`, `body/${part.fieldname}`);
      }
      if (received) {
        part.file.resume();
        throw new HttpError(400, `a multipart upload holds one file (field "${FILE_FIELD}"); this one holds a second`, `body/${FILE_FIELD}`);
      }
      const bytes = await writeLimited(part.file, path, options);
      if (part.file.truncated) throw tooLarge(options);
      received = { bytes, ...(part.filename ? { fileName: part.filename } : {}) };
    }
  } catch (error) {
    throw asClientError(error);
  }
  if (!received) throw new HttpError(400, `the multipart upload has no file field "${FILE_FIELD}"`, `body/${FILE_FIELD}`);
  return received;
}

/**
 * Writes `source` to `path`, failing with a 413 as soon as it passes the limit. The source is
 * paused, never destroyed, on failure: destroying the request would reset the connection before
 * the client could read the 413 (the server discards the rest after answering).
 */
function writeLimited(source: Readable, path: string, options: ReceiveUploadOptions): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const file = createWriteStream(path, { flags: 'wx' });
    let bytes = 0;
    let settled = false;
    const stop = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData).off('end', onEnd).off('error', onSourceError).off('close', onClose);
      source.pause();
      file.destroy();
      // The file stream closes before the caller removes the file.
      if (file.closed) reject(error);
      else file.once('close', () => reject(error));
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > options.maxBytes) stop(tooLarge(options));
      else if (!file.write(chunk)) source.pause();
    };
    const onEnd = () => file.end();
    // The client's side failed (cut short, malformed multipart), not the disk.
    const onSourceError = (error: unknown) => stop(asClientError(error));
    // Closed without an end: cut short. Multipart parts can be failed before they are handed over.
    const onClose = () => {
      if (!source.readableEnded) onSourceError(source.errored ?? new Error('the upload was cut short'));
    };
    if (source.destroyed) return onClose();
    source.on('data', onData).once('end', onEnd).once('error', onSourceError).once('close', onClose);
    file.on('drain', () => source.resume());
    file.once('error', stop);
    file.once('finish', () => {
      if (settled) return;
      settled = true;
      resolvePromise(bytes);
    });
  });
}

function tooLarge({ maxBytes, limitName }: ReceiveUploadOptions): HttpError {
  return new HttpError(413, `the upload is too large: more than ${maxBytes} bytes (${limitName})`, 'body');
}

/**
 * Errors of the multipart parser (busboy) carry no status and no system error code: a truncated
 * body, a missing boundary, a malformed part header. They are the client's, so 400.
 */
function asClientError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  if (statusCode === 413) return new HttpError(413, `the multipart upload passes a limit of this route: ${message}`, 'body');
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return new HttpError(400, `malformed multipart upload: ${message}`, 'body');
  if (statusCode === undefined && (code === undefined || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')) {
    return new HttpError(400, `malformed or truncated upload: ${message ?? String(error)}`, 'body');
  }
  return error;
}
