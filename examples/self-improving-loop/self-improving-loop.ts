/** The example's two optimisation rounds, as a function the test and main.ts share. */
import { join } from 'node:path'
import { type OptimizePromptResult, optimizePrompt } from '@tangle-network/agent-runtime/improvement'
import { BASELINE_PROMPT, policyJudge, reflectionModel, supportModel, type Ticket, tickets } from './support-bot.js'

export interface ExampleRun {
  fix: OptimizePromptResult
  reword: OptimizePromptResult
}

/**
 * Round 1 lets the reflection model fix the prompt from the judge's notes
 * (the gate ships it). Round 2 starts from the shipped prompt and offers only
 * rewordings that change nothing in truth (the gate holds them).
 */
export async function runExample(runDir: string, log: (line: string) => void = () => {}): Promise<ExampleRun> {
  const common = {
    runWithPrompt: (prompt: string, ticket: Ticket, ctx: { seed: number }) => supportModel(prompt, ticket, ctx.seed),
    scenarios: tickets('train', 12),
    holdoutScenarios: tickets('holdout', 30),
    judges: [policyJudge],
    reps: 2,
    seed: 7,
    maxGenerations: 1,
    onProgress: log,
  }
  const fix = await optimizePrompt({ ...common, baselinePrompt: BASELINE_PROMPT, runDir: join(runDir, 'fix'), populationSize: 2, reflection: { llm: reflectionModel('fix') } })
  const reword = await optimizePrompt({ ...common, baselinePrompt: fix.prompt, runDir: join(runDir, 'reword'), populationSize: 4, reflection: { llm: reflectionModel('reword') } })
  return { fix, reword }
}
