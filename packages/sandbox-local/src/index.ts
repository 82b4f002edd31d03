export {
  createLocalSandboxClient,
  type LocalSandboxBox,
  type LocalSandboxClient,
  type LocalSandboxClientOptions,
} from './client.js'
export { type CommandHarnessOptions, commandHarness, parseNdjsonEventLine } from './command-harness.js'
export { diffWorkdir, GitCommandError, type InitGitRepoOptions, initGitRepo } from './git.js'
export {
  type LocalHarness,
  type LocalHarnessBox,
  type LocalHarnessRunInput,
  type ScriptedEmission,
  type ScriptedHarnessContext,
  type ScriptedHarnessFn,
  type ScriptedHarnessResult,
  scriptedHarness,
  textEvent,
  usageEvent,
} from './harness.js'
export { resolveInBox } from './paths.js'
export { buildAllowlistedEnv, DEFAULT_ENV_ALLOWLIST, killProcessGroup } from './process.js'
