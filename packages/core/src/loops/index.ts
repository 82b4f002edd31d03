export * from './kernel/index.js'
export * from './dynamic/index.js'
export * from './dispatch/index.js'
export * from './render/index.js'
