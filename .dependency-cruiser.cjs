// Thread: none (config of `npm run check:imports`, run in CI by .ci/run).
// The import rules of the architecture (../shared/docs/ARCHITECTURE.md, "Dependency rule"),
// checked by dependency-cruiser over src/ and workers/:
//   - src/protocol imports nothing outside itself (npm packages and node: built-ins are fine);
//   - workers/ imports only src/protocol, src/ipc and the pure shared helpers below;
//   - the pure helpers themselves import only protocol, ipc and each other, so "pure" holds
//     transitively (a worker thread never loads main-thread state by accident);
//   - nothing in src/ imports workers/ (Piscina loads workers/partition-worker.js by path).
// "Pure" means: no main-thread state (sockets, pools, logger, config, Redis), no module-level
// side effects, usable on either thread. To make another helper pure, move it into one of
// these folders (or add its path here) and keep it free of such imports.
'use strict';

/** Folders and files a worker may import, besides npm packages and node: built-ins. */
const WORKER_SAFE = [
  '^src/protocol/',
  '^src/ipc/',
  '^src/log-format/', // on-disk log layout: batch headers, offset/time index entries
  '^src/errors\\.ts$', // the STRATA_ERR_* catalogue and its Kafka error codes
];
/** The pure helpers (WORKER_SAFE minus protocol, which has its own stricter rule). */
const PURE_HELPERS = WORKER_SAFE.filter((p) => p !== '^src/protocol/');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-only-itself',
      comment:
        'src/protocol is pure wire code: it may import npm packages and node: built-ins, nothing else of this repository.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^(src|workers|test|bench|scripts)/', pathNot: '^src/protocol/' },
    },
    {
      name: 'workers-import-only-protocol-ipc-and-pure-helpers',
      comment:
        'Worker threads must not load main-thread modules (router, pools, config, logger, Redis, tier). ' +
        'Allowed: src/protocol, src/ipc, the pure helpers listed in .dependency-cruiser.cjs, other workers/ files, npm packages.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^src/', pathNot: WORKER_SAFE },
    },
    {
      name: 'pure-helpers-stay-pure',
      comment:
        'A pure helper (importable by workers) may import only src/protocol, src/ipc and other pure helpers, ' +
        'or workers would reach main-thread modules through it.',
      severity: 'error',
      from: { path: PURE_HELPERS },
      to: { path: '^src/', pathNot: WORKER_SAFE },
    },
    {
      name: 'nothing-imports-workers',
      comment: 'workers/ is loaded by Piscina from its file path; importing it would run worker code on the main thread.',
      severity: 'error',
      from: { pathNot: '^workers/' },
      to: { path: '^workers/' },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import that does not resolve would let a rule above pass by accident.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
