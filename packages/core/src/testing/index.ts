export * from './scripted-backend.js'
export * from './scripted-sandbox.js'
