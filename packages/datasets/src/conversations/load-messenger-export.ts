import { stat } from 'node:fs/promises';
import { parseMessengerExport, parseMessengerZip, readMessengerFolder, type MessengerExportInput, type MessengerThread, type ReadMessengerExportOptions } from './messenger-export.ts';
import { readMessengerZipFile } from './messenger-zip-file.ts';

/**
 * Reads a Messenger export in any form: a folder path, a `.zip` file path, a zip's bytes, or
 * path → bytes.
 */
export async function loadMessengerExport(input: MessengerExportInput, options: ReadMessengerExportOptions = {}): Promise<MessengerThread[]> {
  if (typeof input === 'string') {
    if ((await stat(input)).isDirectory()) return readMessengerFolder(input, options);
    return readMessengerZipFile(input, { source: input, ...options });
  }
  if (input instanceof Uint8Array) return parseMessengerZip(input, options);
  return parseMessengerExport(input, options);
}
