import { defineConfig } from 'vitest/config'

// Tests resolve workspace packages to their TypeScript sources through the
// `source` export condition, so the suite runs without a prior build.
export default defineConfig({
  // Only `source` plus Node's own conditions: vitest hands these to Node for externalised
  // packages, so `import` breaks pg's require() calls and `module` picks bundler-only builds.
  resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['source', 'node', 'development|production'], externalConditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // eventsource-parser (used by the MCP SDK's HTTP client) publishes a `source` condition pointing at .ts files; let vite transform it.
    server: { deps: { inline: [/eventsource-parser/, /@modelcontextprotocol\/sdk\/dist\/esm\/client\/streamableHttp/] } },
    // The JSON report feeds the plain "N passed, N failed" line printed by .ci/run.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
})
