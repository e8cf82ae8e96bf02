// Builds the web console into dist/web; the coordinator serves index.html at / and the hashed files under /console/.
// base './': URLs stay relative, so the console also works behind a path prefix.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'console',
    sourcemap: false,
    reportCompressedSize: true,
  },
});
