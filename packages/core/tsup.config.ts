import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    "index": "src/index.ts",
    "loops/index": "src/loops/index.ts",
    "agent/index": "src/agent/index.ts",
    "profiles/index": "src/profiles/index.ts",
    "testing/index": "src/testing/index.ts",
    "node": "src/node.ts"
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  tsconfig: 'tsconfig.build.json',
})
