export * from './scripted-backend.js'
export * from './scripted-sandbox.js'
export * from './sandbox-conformance.js'
