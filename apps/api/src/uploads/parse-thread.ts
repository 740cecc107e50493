import { parentPort } from 'node:worker_threads';
import { parseUploadFile } from './parse-upload.ts';
import { serializeUploadError } from './upload-errors.ts';
import type { ParseReply, ParseRequest } from './parser-pool.ts';

/** Body of an upload parse thread: one task at a time, as the pool sends them. */
const port = parentPort!;
port.on('message', async ({ id, task }: ParseRequest) => {
  try {
    const parsed = await parseUploadFile(task);
    const stored = ownBuffer(parsed.stored);
    port.postMessage({ id, ok: true, parsed: { ...parsed, stored } } satisfies ParseReply, [stored.buffer]);
  } catch (error) {
    port.postMessage({ id, ok: false, error: serializeUploadError(error) } satisfies ParseReply);
  }
});

/** The bytes in an ArrayBuffer of their own, so that it can be transferred rather than copied. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes as Uint8Array<ArrayBuffer>;
  return new Uint8Array(bytes);
}
