export * from './render-loop-trace.js'
