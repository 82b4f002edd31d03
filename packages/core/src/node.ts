/**
 * Node-only adapters of the engine. The root entry stays runtime-neutral
 * (Workers, Deno, Bun); what needs Node's `http`/`fs` lives here.
 * `createOtelExporter` moved here from the root entry; `@tangle-network/agent-runtime`
 * re-exports it from its root as before.
 */
export { createOtelExporter } from './otel/node-exporter.js'
