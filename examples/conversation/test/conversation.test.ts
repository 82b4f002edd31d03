import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/conversation', () => {
  it('runs two scripted participants, is interrupted, resumes from the journal and halts on the predicate', async () => {
    const env = { ...process.env, OPENAI_API_KEY: '', TANGLE_API_KEY: '' }
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/conversation/main.ts'], { cwd: ROOT, env })
    expect(stdout.trim().split('\n')).toEqual([
      'start    trip_plan_1 (Planner, Critic)',
      'turn 0   Planner: Day 1: Alfama and the castle.',
      'turn 1   Critic: Day 2 in Sintra is a long trip; consider Belém.',
      '-- interrupted; resuming with the same run id --',
      'resumed  trip_plan_1 with 2 journaled turns',
      'turn 2   Planner: Day 2 swaps Sintra for Belém; shorter trains.',
      'turn 3   Critic: Good. Add an evening in LX Factory.',
      'turn 4   Planner: Final: Alfama, Belém, LX Factory.',
      'halted   predicate (plan agreed) after 5 turns, 5 cents',
    ])
  })
})
