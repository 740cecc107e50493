import { homedir, tmpdir } from 'node:os';

/** Top-level folders of absolute paths on the systems we run on (Linux, macOS, containers). */
const systemRoots = 'home|root|tmp|var|usr|opt|srv|mnt|media|data|app|work|workspace|etc|proc|sys|dev|run|nix|snap|private|Users|Volumes|builds|github';

/** The rest of a path: up to a space, quote, bracket or separator; a colon only before a line number (`x.js:10:5`). */
const pathTail = String.raw`(?:[^\s'"\x60<>,;:()\[\]{}]|:(?=\d))*`;

/**
 * An absolute file system path: a `file://` URL, a Windows drive path, or a POSIX path under one
 * of the usual roots. Not preceded by a word character, so `body/params/window` and URL paths
 * such as `/v1/models` are left alone.
 */
const absolutePath = new RegExp(String.raw`(?:file:\/\/${pathTail}|(?<![\w.~-])[A-Za-z]:\\${pathTail}|(?<![\w.~/-])\/(?:${systemRoots})(?![\w.-])${pathTail})`, 'g');

const sensitiveRoots = new Set<string>();

/** Adds a folder whose paths `redactPaths` always hides (the artifact store registers its root). */
export function registerSensitiveRoot(root: string): void {
  sensitiveRoots.add(root);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces absolute file system paths in a message shown to clients (an API error, a job's failure
 * reason) with `<path>`: the given roots (the store directory), the process's own folders (working
 * directory, home, temporary directory), then anything that looks like an absolute path.
 */
export function redactPaths(message: string, roots: readonly string[] = []): string {
  let text = message;
  const known = [...roots, ...sensitiveRoots, process.cwd(), homedir(), tmpdir()].filter((root) => root.length > 1).sort((a, b) => b.length - a.length);
  for (const root of known) {
    text = text.replace(new RegExp(`(?<![\\w.~/-])(?:file://)?${escapeRegExp(root)}${pathTail}`, 'g'), '<path>');
  }
  return text.replace(absolutePath, '<path>');
}

/** `redactPaths` over every string in a JSON-like value (an error's `details`), at most `depth` levels down. */
export function redactPathsDeep(value: unknown, depth = 6): unknown {
  if (typeof value === 'string') return redactPaths(value);
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactPathsDeep(item, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactPathsDeep(item, depth - 1)]));
}
