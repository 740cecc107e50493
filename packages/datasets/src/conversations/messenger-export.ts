import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describeValue } from '../describe-value.ts';
import { DatasetParseError } from '../errors.ts';
import { decodeUtf8Strict } from '../utf8.ts';
import { repairMojibake } from './mojibake.ts';

/**
 * Folders under `messages/` whose threads are read. `message_requests` is left out: chats from
 * people the owner never accepted, mostly unanswered spam.
 */
export const MESSENGER_THREAD_FOLDERS = ['inbox', 'archived_threads', 'e2ee_cutover', 'filtered_threads'] as const;

export type MessengerThreadFolder = (typeof MESSENGER_THREAD_FOLDERS)[number];

/** 512 MiB of message JSON: years of heavy use; photos and videos are never read. */
export const DEFAULT_MAX_MESSENGER_BYTES = 512 * 1024 * 1024;

/** Fields of a Messenger message that stand for an attachment. */
const MEDIA_FIELDS = ['photos', 'videos', 'gifs', 'sticker', 'audio_files', 'files', 'share'] as const;

export type MessengerMedia = (typeof MEDIA_FIELDS)[number];

/** One message as exported, names and text repaired (see {@link repairMojibake}). */
export interface MessengerMessage {
  sender: string;
  /** Milliseconds since the Unix epoch. */
  timestampMs: number;
  /** The text; absent for a media-only message. */
  content?: string;
  /** Attachment fields present (`photos`, `sticker`, `share`…), in a fixed order. */
  media: MessengerMedia[];
  /** Facebook's `type` where the export has one (`Generic`, `Share`, `Call`, `Subscribe`, `Unsubscribe`). */
  type?: string;
  /** Present for a call log entry, in seconds. */
  callDurationSeconds?: number;
  /** Whether the sender unsent it (`is_unsent`). */
  unsent: boolean;
}

/** One conversation: every `message_<n>.json` of one thread folder, merged. */
export interface MessengerThread {
  /** `<folder>/<thread folder>`, e.g. `inbox/alicesmith_10158` — unique within an export. */
  id: string;
  folder: MessengerThreadFolder;
  title: string;
  participants: string[];
  isStillParticipant: boolean;
  /** Oldest first (the files hold them newest first). */
  messages: MessengerMessage[];
  /** The files read, in order (`message_1.json` first), as named in the export. */
  files: string[];
}

/** An export as path → bytes; paths use `/` or `\` and may start with any folder. */
export type MessengerExportFiles = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** A folder or `.zip` path, a zip's bytes, or the files themselves. */
export type MessengerExportInput = string | Uint8Array | MessengerExportFiles;

/** Options of the Messenger readers. */
export interface ReadMessengerExportOptions {
  /**
   * Name of the export in error messages about the whole export (e.g. the uploaded zip's name).
   * @defaultValue 'Messenger export'
   */
  source?: string;
  /**
   * Largest total size of the message JSON files read, in bytes (uncompressed).
   * @defaultValue {@link DEFAULT_MAX_MESSENGER_BYTES}
   */
  maxBytes?: number;
}

const MESSAGE_FILE = new RegExp(`(?:^|/)messages/(${MESSENGER_THREAD_FOLDERS.join('|')})/([^/]+)/message_(\\d+)\\.json$`);
const HTML_MESSAGE_FILE = /(?:^|\/)messages\/[^/]+\/[^/]+\/message_\d+\.html$/;

const EXPECTED_LAYOUT =
  'expected JSON files at messages/inbox/<thread>/message_1.json (also archived_threads, e2ee_cutover, filtered_threads), ' +
  'possibly under a top folder such as your_facebook_activity/; request "Download your information" in JSON format';

/** Whether an export path is a thread's message file that the readers use. */
export function isMessengerMessageFile(path: string): boolean {
  return MESSAGE_FILE.test(toSlashes(path));
}

/**
 * Reads the conversations of a Messenger export held in memory. Other files (photos, HTML,
 * `message_requests`…) are ignored.
 * @returns threads sorted by id
 * @throws DatasetParseError naming the file for invalid UTF-8 or JSON, a missing `messages`
 *   array or a message without `sender_name`/`timestamp_ms`; naming the export when no message
 *   file is found (saying which layout was expected) or when the files exceed `maxBytes`
 */
export function parseMessengerExport(files: MessengerExportFiles, options: ReadMessengerExportOptions = {}): MessengerThread[] {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const { source = 'Messenger export', maxBytes = DEFAULT_MAX_MESSENGER_BYTES } = options;
  const threads = new Map<string, { folder: MessengerThreadFolder; files: { number: number; path: string; bytes: Uint8Array }[] }>();
  let total = 0;
  for (const [rawPath, bytes] of entries) {
    const path = toSlashes(rawPath);
    const match = MESSAGE_FILE.exec(path);
    if (!match) continue;
    total += bytes.length;
    const folder = match[1] as MessengerThreadFolder;
    const id = `${folder}/${match[2]}`;
    let thread = threads.get(id);
    if (!thread) threads.set(id, (thread = { folder, files: [] }));
    thread.files.push({ number: Number(match[3]), path, bytes });
  }
  if (threads.size === 0)
    throw noMessageFiles(
      source,
      entries.map(([path]) => toSlashes(path)),
    );
  assertWithinLimit(source, total, maxBytes);

  return [...threads.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, { folder, files: threadFiles }]) => {
      threadFiles.sort((a, b) => a.number - b.number);
      const parsed = threadFiles.map(({ path, bytes }) => parseMessageFile(path, bytes));
      const first = parsed[0]!;
      // Each file lists its messages newest first and message_1 holds the newest, so the
      // concatenation is newest first; reversed, a stable sort keeps equal timestamps in order.
      const messages = parsed.flatMap((file) => file.messages).reverse();
      messages.sort((a, b) => a.timestampMs - b.timestampMs);
      return {
        id,
        folder,
        title: first.title,
        participants: first.participants,
        isStillParticipant: first.isStillParticipant,
        messages,
        files: threadFiles.map(({ path }) => path),
      };
    });
}

/**
 * Reads the conversations of a zipped Messenger export held in memory. Only the message JSON
 * files are decompressed, so photo and video folders cost nothing; their sizes are bounded as
 * the zip declares them, so a lying entry still inflates whole: for a zip from outside, use
 * `readMessengerZipFile` (never holds the zip) or `readMessengerZipBytes`, which bound what the
 * entries really inflate to.
 * @throws DatasetParseError for bytes that are not a zip, and as {@link parseMessengerExport}
 */
export function parseMessengerZip(zip: Uint8Array, options: ReadMessengerExportOptions = {}): MessengerThread[] {
  const { source = 'Messenger export', maxBytes = DEFAULT_MAX_MESSENGER_BYTES } = options;
  const names: string[] = [];
  let declared = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (file) => {
        names.push(file.name);
        if (!isMessengerMessageFile(file.name)) return false;
        declared += file.originalSize;
        return declared <= maxBytes; // refuse before inflating a zip bomb
      },
    });
  } catch (error) {
    throw new DatasetParseError({ file: source, problem: `not a readable zip file (${(error as Error).message})` });
  }
  if (!names.some(isMessengerMessageFile)) throw noMessageFiles(source, names.map(toSlashes));
  assertWithinLimit(source, declared, maxBytes);
  return parseMessengerExport(files, { source, maxBytes });
}

/**
 * Reads the conversations of an unzipped export folder (the folder holding `messages/`, or any
 * folder above it).
 */
export async function readMessengerFolder(dir: string, options: ReadMessengerExportOptions = {}): Promise<MessengerThread[]> {
  const { source = dir, maxBytes = DEFAULT_MAX_MESSENGER_BYTES } = options;
  const all = (await readdir(dir, { recursive: true })).map(toSlashes);
  const wanted = all.filter(isMessengerMessageFile);
  if (wanted.length === 0) throw noMessageFiles(source, all);
  const sizes = await Promise.all(wanted.map(async (path) => (await stat(join(dir, path))).size));
  assertWithinLimit(
    source,
    sizes.reduce((sum, size) => sum + size, 0),
    maxBytes,
  );
  const files = new Map<string, Uint8Array>();
  for (const path of wanted) files.set(path, await readFile(join(dir, path)));
  return parseMessengerExport(files, { source, maxBytes });
}

interface ParsedMessageFile {
  title: string;
  participants: string[];
  isStillParticipant: boolean;
  messages: MessengerMessage[];
}

function parseMessageFile(file: string, bytes: Uint8Array): ParsedMessageFile {
  const fail = (problem: string): never => {
    throw new DatasetParseError({ file, problem });
  };
  let root: unknown;
  try {
    root = JSON.parse(decodeUtf8Strict(bytes, file, 'the JSON export'));
  } catch (error) {
    if (error instanceof DatasetParseError) throw error;
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(root)) return fail(`expected a JSON object with a "messages" array, found ${describeValue(root)}`);
  if (!Array.isArray(root.messages)) return fail(`no "messages" array (found ${describeValue(root.messages)})`);

  const participants: string[] = [];
  if (root.participants !== undefined) {
    if (!Array.isArray(root.participants)) fail(`"participants" must be an array, found ${describeValue(root.participants)}`);
    (root.participants as unknown[]).forEach((participant, i) => {
      if (!isRecord(participant) || typeof participant.name !== 'string') fail(`participants[${i}] has no "name" string`);
      participants.push(repairMojibake((participant as { name: string }).name));
    });
  }
  if (root.title !== undefined && typeof root.title !== 'string') fail(`"title" must be a string, found ${describeValue(root.title)}`);

  const messages = root.messages.map((raw: unknown, i: number): MessengerMessage => {
    const where = `messages[${i}]`;
    if (!isRecord(raw)) return fail(`${where} must be an object, found ${describeValue(raw)}`);
    if (typeof raw.sender_name !== 'string') return fail(`${where} has no "sender_name" string (found ${describeValue(raw.sender_name)})`);
    const timestampMs = raw.timestamp_ms;
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
      return fail(`${where} has no "timestamp_ms" number (found ${describeValue(timestampMs)})`);
    }
    if (raw.content !== undefined && typeof raw.content !== 'string') fail(`${where}.content must be a string, found ${describeValue(raw.content)}`);
    const message: MessengerMessage = {
      sender: repairMojibake(raw.sender_name),
      timestampMs,
      media: MEDIA_FIELDS.filter((field) => raw[field] !== undefined && raw[field] !== null),
      unsent: raw.is_unsent === true,
    };
    if (typeof raw.content === 'string') message.content = repairMojibake(raw.content);
    if (typeof raw.type === 'string') message.type = raw.type;
    if (typeof raw.call_duration === 'number') message.callDurationSeconds = raw.call_duration;
    return message;
  });

  return {
    title: typeof root.title === 'string' ? repairMojibake(root.title) : '',
    participants,
    isStillParticipant: root.is_still_participant !== false,
    messages,
  };
}

/** @internal the error for an export without message files, shared by the readers. */
export function noMessageFiles(source: string, paths: readonly string[]): DatasetParseError {
  const html = paths.some((path) => HTML_MESSAGE_FILE.test(path));
  const found = paths.length === 0 ? 'it holds no files' : `none of its ${paths.length} files matches`;
  return new DatasetParseError({
    file: source,
    problem: html ? 'this export is in HTML format; request "Download your information" again in JSON format' : `no Messenger message files found (${found}); ${EXPECTED_LAYOUT}`,
  });
}

/** @internal */
export function assertWithinLimit(source: string, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new DatasetParseError({
      file: source,
      problem: `the message files hold more than ${maxBytes.toLocaleString('en-US')} bytes (at least ${bytes.toLocaleString('en-US')})`,
    });
  }
}

/** @internal */
export function toSlashes(path: string): string {
  return path.replaceAll('\\', '/');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
