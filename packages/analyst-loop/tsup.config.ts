import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    "index": "src/index.ts",
    "node/index": "src/node/index.ts"
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // Only the `./node` entry (surface adapters: git, files) imports Node built-ins.
  external: [/^node:/],
  tsconfig: 'tsconfig.build.json',
})
