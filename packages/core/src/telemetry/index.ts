export * from './collectors.js'
export * from './sanitize.js'
export * from './sse.js'
