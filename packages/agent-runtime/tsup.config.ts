import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    "index": "src/index.ts",
    "index-node": "src/index-node.ts",
    "loops": "src/loops.ts",
    "agent": "src/agent.ts",
    "agent-node": "src/agent-node.ts",
    "profiles": "src/profiles.ts",
    "mcp": "src/mcp.ts",
    "improvement": "src/improvement.ts",
    "improvement-node": "src/improvement-node.ts",
    "analyst-loop": "src/analyst-loop.ts",
    "analyst-loop-node": "src/analyst-loop-node.ts",
    "conversations": "src/conversations.ts",
    "conversations-node": "src/conversations-node.ts",
    "sandbox-local": "src/sandbox-local.ts",
    "testing": "src/testing.ts",
    "cli": "src/cli.ts",
    "bin/loop": "src/bin/loop.ts",
    "bin/mcp": "src/bin/mcp.ts",
    "worker": "src/worker.ts",
    "bin/worker": "src/bin/worker.ts"
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
})
