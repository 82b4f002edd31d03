/**
 * The structural sandbox surface. `@tangle-network/sandbox`'s client satisfies
 * it unchanged; `sandbox-local` and the scripted test sandbox implement it.
 */

/** One event streamed by a sandboxed agent. `data` is opaque beyond a few known keys. @stable */
export interface SandboxEvent {
  type: string
  data: Record<string, unknown>
  id?: string
}

/** Options accepted by {@link SandboxClient.create}; deliberately loose. @stable */
export interface SandboxCreateOptions {
  name?: string
  image?: string
  environment?: string
  env?: Record<string, string>
  resources?: Record<string, unknown>
  git?: { url: string; ref?: string; depth?: number }
  backend?: { type: string; profile?: unknown; inlineProfile?: unknown; model?: Record<string, unknown> }
  metadata?: Record<string, unknown>
  [key: string]: unknown
}

/** Options of {@link SandboxBox.streamPrompt}. @stable */
export interface SandboxPromptOptions {
  sessionId?: string
  /** `provider/model`. */
  model?: string
  timeoutMs?: number
  context?: Record<string, unknown>
  signal?: AbortSignal
}

/** Result of {@link SandboxBox.exec}. @stable */
export interface SandboxExecResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Result of {@link SandboxBox.git}`.diff()`; `raw` is a unified diff. @stable */
export interface SandboxGitDiff {
  raw: string
  additions: number
  deletions: number
  files?: { path: string; status?: string; additions: number; deletions: number }[]
}

/** A running sandbox. Only `id` and `streamPrompt` are required. @stable */
export interface SandboxBox {
  readonly id: string
  streamPrompt(message: string, options?: SandboxPromptOptions): AsyncIterable<SandboxEvent>
  exec?(command: string, options?: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; signal?: AbortSignal }): Promise<SandboxExecResult>
  read?(path: string): Promise<string>
  write?(path: string, content: string): Promise<unknown>
  git?: { diff(ref?: string): Promise<SandboxGitDiff> }
  waitFor?(status: string | string[], options?: { timeoutMs?: number }): Promise<unknown>
  delete?(): Promise<void>
  exportTraceBundle?(options?: unknown): Promise<unknown>
}

/** A fleet of pre-provisioned machines. @experimental */
export interface FleetHandle {
  fleetId: string
  ids: readonly string[]
  sandbox(machineId: string): Promise<SandboxBox>
}

/** The sandbox client contract. @stable */
export interface SandboxClient {
  create(options?: SandboxCreateOptions, request?: { signal?: AbortSignal }): Promise<SandboxBox>
  get?(id: string): Promise<SandboxBox | null>
  fleets?: { get(fleetId: string): Promise<FleetHandle> }
}
