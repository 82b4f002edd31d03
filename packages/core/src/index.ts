/**
 * @tangle-network/agent-runtime-core: the I/O-free engine. Each area has its
 * own folder and barrel; this file only lists them.
 */
export * from './errors.js'
export * from './contracts/index.js'
export * from './util/clock.js'
export * from './util/hash.js'
export * from './sql/index.js'
export * from './sandbox-events/index.js'
export * from './backends/index.js'
export * from './task/index.js'
export * from './telemetry/index.js'
export * from './runs/index.js'
export * from './models/index.js'
export * from './chat/index.js'
export * from './otel/index.js'
export * from './delegated/index.js'
export * from './knowledge/index.js'
export * from './loop-ops/index.js'
