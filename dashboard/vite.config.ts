/**
 * The dashboard's build: one page, bundled with every dependency (no CDN), into dist/ where the receiver serves it
 * (collector/dashboard/dashboard-routes.ts). Asset names carry content hashes, which is what lets the receiver
 * cache them as immutable.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The receiver serves source maps beside the bundles, so a stack trace from a user's browser is readable.
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite` in dashboard/ for development against a receiver on the default port.
    proxy: { '/v1': 'http://127.0.0.1:4318' },
  },
});
