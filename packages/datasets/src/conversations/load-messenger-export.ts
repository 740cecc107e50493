import { stat } from 'node:fs/promises';
import { parseMessengerExport, readMessengerFolder, type MessengerExportInput, type MessengerThread, type ReadMessengerExportOptions } from './messenger-export.ts';
import { readMessengerZipBytes, readMessengerZipFile } from './messenger-zip-file.ts';

/**
 * Reads a Messenger export in any form: a folder path, a `.zip` file path, a zip's bytes, or
 * path → bytes. Zips are read as {@link readMessengerZipFile} reads them: only message files
 * inflated, bounded by `maxBytes` whatever sizes they declare.
 */
export async function loadMessengerExport(input: MessengerExportInput, options: ReadMessengerExportOptions = {}): Promise<MessengerThread[]> {
  if (typeof input === 'string') {
    if ((await stat(input)).isDirectory()) return readMessengerFolder(input, options);
    return readMessengerZipFile(input, { source: input, ...options });
  }
  if (input instanceof Uint8Array) return readMessengerZipBytes(input, options);
  return parseMessengerExport(input, options);
}
