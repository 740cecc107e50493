// Folder cycles, the second pass of `npm run deps`. A folder-scoped rule counts every module of a
// folder, tests included, and dependency-cruiser has no per-rule exclusion, so this pass cruises
// production source alone: a test that exercises price/ from parallel/ is not a layering fault.
// Module-level rules are in .dependency-cruiser.js, whose resolution options this reuses.

import moduleRules from './.dependency-cruiser.js';

const { options } = moduleRules;

/** Modules that only tests load. */
const TEST_CODE = ['\\.test\\.ts$', '/testing/', '/testing\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'Folders are layers: in packages/models, recurrent/, checkpoint/ and parallel/ serve the ' +
        'families (price/, textgen/, seq2seq/), never the reverse; packages and apps form a ' +
        'one-way graph. A folder cycle means a shared piece sits in the wrong folder.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(apps|packages)/' },
      to: { circular: true },
    },
  ],
  options: {
    ...options,
    exclude: { path: TEST_CODE },
  },
};
