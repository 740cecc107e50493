import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The shared folders sit under the model families: a family may import them, never the reverse
// (a training's objective reaches a replica thread as a spec naming its module, see
// parallel/objective.ts). Relative specifiers in imports, `import()` and `new URL()` count.
const sourceRoot = dirname(fileURLToPath(import.meta.url));
const families = ['price', 'seq2seq', 'textgen'];
const sharedFolders = ['checkpoint', 'parallel', 'recurrent', 'samples'];
const specifier = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function listSources(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(?:ts|mjs|js)$/.test(name))
    .map((name) => join(folder, name));
}

/** `file → folder of src/ it reaches` for each relative specifier of `file` that leaves `file`'s own top folder. */
function listFolderImports(file: string): string[] {
  const [from] = relative(sourceRoot, file).split(sep);
  return [...readFileSync(file, 'utf8').matchAll(specifier)]
    .map((match) => relative(sourceRoot, resolve(dirname(file), match[1]!)).split(sep)[0]!)
    .filter((folder) => folder !== from)
    .map((folder) => `${relative(sourceRoot, file)} → ${folder}/`);
}

describe('folder imports of @mlq/models/src', () => {
  it('finds imports into the families where there are some (the check sees what it should)', () => {
    expect(listFolderImports(join(sourceRoot, 'index.ts'))).toEqual(expect.arrayContaining(families.map((family) => `index.ts → ${family}/`)));
  });

  it.each(sharedFolders)('%s/ imports no model family', (folder) => {
    const intoFamilies = listSources(join(sourceRoot, folder))
      .flatMap(listFolderImports)
      .filter((edge) => families.some((family) => edge.endsWith(`→ ${family}/`)));
    expect(intoFamilies).toEqual([]);
  });
});
