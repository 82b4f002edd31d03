export * from './model-resolution.js'
