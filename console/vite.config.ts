import { defineConfig } from 'vite';

// The console is built into dist/console (served by the gateway under /console/). No dev-server
// plugins: React's JSX is compiled by Vite's own transformer, so the build needs nothing native
// beyond what Vite itself ships.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    sourcemap: false,
    // One bundle (React, the router and the charting library): about 230 kB gzipped.
    chunkSizeWarningLimit: 900,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      // React Router marks its modules "use client" (for server components); meaningless in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
