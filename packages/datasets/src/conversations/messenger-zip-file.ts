import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { DatasetParseError } from '../errors.ts';
import {
  assertWithinLimit,
  DEFAULT_MAX_MESSENGER_BYTES,
  isMessengerMessageFile,
  noMessageFiles,
  parseMessengerExport,
  toSlashes,
  type MessengerThread,
  type ReadMessengerExportOptions,
} from './messenger-export.ts';

/**
 * Reads the conversations of a zipped Messenger export from a file, by random access: the
 * central directory first, then only the `messages/<folder>/<thread>/message_<n>.json` entries,
 * inflated as streams. Photos, videos and every other entry are skipped without being read, so
 * an export of several GiB costs what its message files cost.
 *
 * `maxBytes` bounds the message files twice: by the sizes the zip declares (before inflating
 * anything) and by the bytes each entry really inflates to (a zip bomb, or a declared size that
 * lies, stops at the bound).
 * @throws DatasetParseError for a file that is not a zip, a message file over the bound, and as
 *   {@link parseMessengerExport}
 */
export async function readMessengerZipFile(path: string, options: ReadMessengerExportOptions = {}): Promise<MessengerThread[]> {
  return readZip(path, { source: path, ...options });
}

/** {@link readMessengerZipFile} for a zip already in memory: the same bounds on what it inflates. */
export async function readMessengerZipBytes(zip: Uint8Array, options: ReadMessengerExportOptions = {}): Promise<MessengerThread[]> {
  return readZip(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), options);
}

async function readZip(input: string | Buffer, options: ReadMessengerExportOptions): Promise<MessengerThread[]> {
  const { source = 'Messenger export', maxBytes = DEFAULT_MAX_MESSENGER_BYTES } = options;
  const zip = await openZip(input, source);
  try {
    const entries = await listEntries(zip, source);
    const names = entries.map((entry) => toSlashes(entry.fileName));
    const wanted = entries.filter((entry) => isMessengerMessageFile(entry.fileName));
    if (wanted.length === 0) throw noMessageFiles(source, names);
    assertWithinLimit(
      source,
      wanted.reduce((sum, entry) => sum + entry.uncompressedSize, 0),
      maxBytes,
    );

    const files = new Map<string, Uint8Array>();
    let total = 0;
    for (const entry of wanted) {
      const bytes = await inflateEntry(zip, entry, source, maxBytes - total, maxBytes);
      total += bytes.length;
      files.set(entry.fileName, bytes);
    }
    return parseMessengerExport(files, { source, maxBytes });
  } finally {
    zip.close();
  }
}

function notAZip(source: string, error: unknown): DatasetParseError {
  return new DatasetParseError({ file: source, problem: `not a readable zip file (${(error as Error).message})` });
}

function openZip(input: string | Buffer, source: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, zip?: ZipFile) => {
      if (error || !zip) reject(notAZip(source, error));
      else resolve(zip);
    };
    // Entry sizes are checked here, against the bound rather than the declared size, so that the
    // error names the limit.
    const options = { lazyEntries: true, autoClose: false, validateEntrySizes: false, strictFileNames: false };
    if (typeof input === 'string') yauzl.open(input, options, done);
    else yauzl.fromBuffer(input, options, done);
  });
}

/** The central directory: names and sizes only, nothing inflated. */
function listEntries(zip: ZipFile, source: string): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      if (!entry.fileName.endsWith('/')) entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', (error) => reject(notAZip(source, error)));
    zip.readEntry();
  });
}

/** One entry's bytes, refusing as soon as they pass `budget` (what is left of `maxBytes`). */
async function inflateEntry(zip: ZipFile, entry: Entry, source: string, budget: number, maxBytes: number): Promise<Uint8Array> {
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    zip.openReadStream(entry, (error, readable) => {
      if (error || !readable) reject(new DatasetParseError({ file: toSlashes(entry.fileName), problem: `cannot be read from ${source} (${error?.message})` }));
      else resolve(readable);
    });
  });
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > budget) {
        throw new DatasetParseError({
          file: toSlashes(entry.fileName),
          problem:
            `inflates past the limit of ${maxBytes.toLocaleString('en-US')} bytes of message files ` +
            `(it declares ${entry.uncompressedSize.toLocaleString('en-US')}; a zip bomb, or message files too large)`,
        });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    if (error instanceof DatasetParseError) throw error;
    throw new DatasetParseError({ file: toSlashes(entry.fileName), problem: `cannot be inflated (${(error as Error).message})` });
  }
  return Buffer.concat(chunks, length);
}
