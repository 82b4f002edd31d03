import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    "index": "src/index.ts",
    "loops/index": "src/loops/index.ts",
    "agent/index": "src/agent/index.ts",
    "agent/node": "src/agent/node.ts",
    "profiles/index": "src/profiles/index.ts",
    "testing/index": "src/testing/index.ts"
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Only the `/agent/node` entry imports Node built-ins.
  external: [/^node:/],
  tsconfig: 'tsconfig.build.json',
})
