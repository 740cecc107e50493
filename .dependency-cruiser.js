// Dependency rules: the package direction of the README's Architecture table, kept by `npm run deps`
// (part of `npm test`). Paths are resolved ones: `@mlq/jobs` is `packages/jobs/src/index.ts`, an
// npm package is `node_modules/<name>/…`. Test code (`*.test.ts`, `testing/` folders and
// `testing.ts` modules, and test/, bench/, scripts/) may reach anything the package-direction rules
// do not forbid: DESIGN.md's `test/, bench/ ──▶ anything`.

/** Modules that only tests load. */
const TEST_CODE = ['\\.test\\.ts$', '/testing/', '/testing\\.ts$'];
/** Production source: what the processes load. */
const SOURCE = '^(apps|packages)/[^/]+/src/';
const TFJS = '(^|/)node_modules/@tensorflow/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    // ---- package direction -------------------------------------------------------------------
    {
      name: 'api-only-to-contract-packages',
      comment: 'The producer talks to workers through the job contract: it may use packages/jobs, packages/datasets and packages/specs, never packages/models (tfjs, memory) nor the worker.',
      severity: 'error',
      from: { path: '^apps/api/' },
      to: { path: '^(packages|apps)/', pathNot: '^(apps/api|packages/(jobs|datasets|specs))/' },
    },
    {
      name: 'worker-not-to-api',
      comment: 'API and worker are separate processes that share only packages; neither imports the other.',
      severity: 'error',
      from: { path: '^apps/worker/' },
      to: { path: '^apps/api/' },
    },
    {
      name: 'packages-not-to-apps',
      comment: 'Packages are libraries the apps compose; a package that imports an app inverts the layering.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'jobs-not-to-models',
      comment: 'packages/jobs is the contract the API loads too; models would drag tfjs into the producer.',
      severity: 'error',
      from: { path: '^packages/jobs/' },
      to: { path: '^packages/models/' },
    },
    {
      name: 'models-not-to-queues',
      comment: 'packages/models is a plain ML library usable from a script or notebook: it knows nothing of the job contract, queues, Redis or HTTP.',
      severity: 'error',
      from: { path: '^packages/models/' },
      to: { path: ['^packages/jobs/', '(^|/)node_modules/(bullmq|ioredis|fastify|@fastify)/'] },
    },
    {
      name: 'datasets-standalone',
      comment: 'packages/datasets parses data for every process and stays light: no other workspace package but packages/specs, no Redis (no tfjs either: tfjs-only-in-models-and-worker).',
      severity: 'error',
      from: { path: '^packages/datasets/' },
      to: {
        path: ['^(packages|apps)/', '(^|/)node_modules/(bullmq|ioredis)/'],
        pathNot: '^packages/(datasets|specs)/',
      },
    },
    {
      // packages/specs is being added (issue 11); until it exists these two rules match nothing.
      name: 'specs-not-to-workspace',
      comment: 'packages/specs holds the family specs (TypeBox schemas, bounds, defaults) that every package may import, so it imports no workspace package itself.',
      severity: 'error',
      from: { path: '^packages/specs/' },
      to: { path: '^(packages|apps)/', pathNot: '^packages/specs/' },
    },
    {
      name: 'specs-only-typebox',
      comment: 'packages/specs is loaded by the API and the worker alike: of npm packages, TypeBox only.',
      severity: 'error',
      from: { path: '^packages/specs/', pathNot: TEST_CODE },
      to: { path: '(^|/)node_modules/', pathNot: '(^|/)node_modules/@sinclair/typebox/' },
    },
    {
      name: 'tfjs-only-in-models-and-worker',
      comment: 'tfjs is heavy to load and holds native/wasm memory: only the model library and the process that runs it import it, so the API starts fast and small.',
      severity: 'error',
      from: { path: SOURCE, pathNot: '^(packages/models|apps/worker)/' },
      to: { path: TFJS },
    },

    // ---- source vs. test code ----------------------------------------------------------------
    {
      name: 'source-not-to-test-bench-scripts',
      comment: 'Processes must not load test harnesses, benchmarks or scripts (nor need them in an image).',
      severity: 'error',
      from: { path: SOURCE, pathNot: TEST_CODE },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'source-not-to-test-code',
      comment: 'Test helpers beside the code (testing/, testing.ts) may import test/; production must not load them.',
      severity: 'error',
      from: { path: SOURCE, pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },

    // ---- cycles ------------------------------------------------------------------------------
    {
      name: 'no-circular',
      comment: 'A module cycle makes load order matter (an import is undefined until its cycle finishes loading) and the modules impossible to understand or test one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` couples packages too (the importer needs the package installed to type-check).
    tsPreCompilationDeps: true,
    // Workspace packages resolve through their node_modules symlinks and package.json `exports`
    // to packages/*/src/index.ts.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
