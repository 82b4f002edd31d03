/**
 * Node-only parts of the improvement package (they use `node:fs`, `node:child_process`):
 * `@tangle-network/agent-runtime-improvement/node`.
 */
export { createJsonlCampaignStorage, type JsonlCampaignStorageOptions } from './jsonl-storage.js'
export { createGitPrPromoter, type GitPrPromoterOptions } from './git-pr.js'
export { execGit, type GitRunner } from './git.js'
export {
  type CodeImprovementDriver,
  type CodePatchProposal,
  type CodeSurface,
  codeSurfaceDiff,
  type ImprovementDriverOptions,
  improvementDriver,
} from './improvement-driver.js'
