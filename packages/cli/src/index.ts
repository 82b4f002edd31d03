/** @tangle-network/agent-runtime-cli: the loop runner behind `agent-runtime-loop` (Node only). */
export * from './backends.js'
export * from './node-io.js'
export * from './patterns.js'
export * from './plan.js'
export * from './runner.js'
export * from './safe-json.js'
export * from './worktree.js'
export { LOOP_CLI_EXIT, LOOP_CLI_USAGE, LOOP_CLOCK_ENV, LOOP_COMMANDS, type LoopCliIo, type LoopCommand, runLoopCli } from './bin.js'
