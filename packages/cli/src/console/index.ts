/** The loop console: a fetch-style handler over the runtime's stores, its Node server, and the `console` subcommand. */
export { CONSOLE_CSS, CONSOLE_JS } from './assets.js'
export { CONSOLE_TOKEN_ENV, consoleCommand, openRunTraces } from './command.js'
export { type ConsoleHandler, type ConsoleHandlerOptions, createConsoleHandler } from './handler.js'
export { recordModeRun } from './mode-runs.js'
export { type BudgetRow, budgetRows, buildTraceTree, type IterationView, type LoopView, listRunSummaries, type RoundView, type RunSummary, summarizeRun } from './model.js'
export { DEFAULT_TRACE_DB, fileKillSwitch, type OpenConsoleStoresOptions, type OpenedConsoleStores, type OpenedTraceStore, openConsoleStores, openTraceStore } from './open.js'
export { type ConsoleServer, type ConsoleServerOptions, DEFAULT_CONSOLE_PORT, startConsoleServer } from './serve.js'
export type { ConsoleBudget, ConsoleBudgetPattern, ConsoleDelegationStore, ConsoleKillSwitch, ConsoleRunRows, ConsoleStores } from './stores.js'
