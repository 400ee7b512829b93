// Thread: none (build tool config: `npm run build` runs `vite build --config src/console/ui/vite.config.mjs`).
// Builds the console's single-page app (Preact, JSX through Vite's own Oxc transform — no
// preset plugin) into dist/console-ui, served by the broker at /console/ (src/console/static-files.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  logLevel: 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/console-ui/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
