/**
 * Node entry of the analyst loop: everything of the Workers-safe entry, plus
 * the surface adapters that touch files and git.
 */
export * from '../index.js'
export * from './knowledge-surface.js'
export * from './prompt-surface.js'
