import {
  ConfigError,
  DELEGATED_LOOP_FACTORIES,
  DELEGATED_LOOP_MODES,
  ValidationError,
  isDelegatedLoopMode,
  researchLoopRunner,
  runDelegatedLoop,
  runLoopRunnerCli,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

describe('runDelegatedLoop', () => {
  it('lists exactly the modes that have a factory and recognises them', () => {
    expect(DELEGATED_LOOP_MODES).toEqual(['code', 'review', 'research', 'dynamic'])
    expect(DELEGATED_LOOP_MODES).toEqual(Object.keys(DELEGATED_LOOP_FACTORIES))
    expect(isDelegatedLoopMode('dynamic')).toBe(true)
    // No factory yet: not offered.
    expect(isDelegatedLoopMode('audit')).toBe(false)
    expect(isDelegatedLoopMode('self-improve')).toBe(false)
    expect(isDelegatedLoopMode('deploy')).toBe(false)
    expect(isDelegatedLoopMode(3)).toBe(false)
  })

  it('routes to the mode runner and times it with the injected clock', async () => {
    let t = 100
    const res = await runDelegatedLoop('dynamic', {
        dynamic: async () => {
          t += 40
          return { findings: 2 }
        },
        code: async () => 'no',
      }, { now: () => t })
    expect(res).toEqual({ mode: 'dynamic', ok: true, output: { findings: 2 }, durationMs: 40 })
  })

  it('records a throwing runner as ok:false', async () => {
    const res = await runDelegatedLoop('code', {
      code: async () => {
        throw new Error('no winner')
      },
    })
    expect(res).toMatchObject({ mode: 'code', ok: false, error: 'no winner' })
    expect(res.output).toBeUndefined()
  })

  it('throws ConfigError naming the registered modes when the mode has no runner', async () => {
    for (const [registry, listed] of [
      [{ review: async () => 1, code: async () => 1 }, 'code, review'],
      [{}, 'none'],
    ] as const) {
      const err = await runDelegatedLoop('research', registry).catch((e) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect(err.code).toBe('config')
      expect(err.message).toBe(`runDelegatedLoop: no runner registered for mode 'research' (registered: ${listed})`)
    }
  })

  it('passes the abort signal to the runner', async () => {
    const ac = new AbortController()
    ac.abort()
    const res = await runDelegatedLoop('dynamic', { dynamic: async (signal) => signal.aborted }, { signal: ac.signal })
    expect(res.output).toBe(true)
  })
})

describe('researchLoopRunner', () => {
  const gate = async (c: string) => (c.includes('passage') ? { accepted: true } : { accepted: false, vetoedBy: 'passage-present', reason: 'no quoted passage' })

  it('runs a single round by default and reports the vetoed candidates', async () => {
    const run = researchLoopRunner({ research: () => ['a passage', 'bare claim'], gate })
    expect(await run(new AbortController().signal)).toEqual({
      accepted: ['a passage'],
      vetoed: [{ candidate: 'bare claim', vetoedBy: 'passage-present', reason: 'no quoted passage' }],
      rounds: 1,
    })
  })

  it('feeds the vetoes into the next round and stops once nothing is vetoed', async () => {
    const calls: Array<[number, string[]]> = []
    const run = researchLoopRunner({
      research: (round, vetoed) => {
        calls.push([round, vetoed.map((v) => v.candidate)])
        return round === 1 ? ['first passage', 'claim'] : ['claim with passage']
      },
      gate,
      maxRounds: 5,
    })
    const out = await run(new AbortController().signal)
    expect(out).toEqual({ accepted: ['first passage', 'claim with passage'], vetoed: [], rounds: 2 })
    expect(calls).toEqual([
      [1, []],
      [2, ['claim']],
    ])
  })

  it('stops on an empty round, gates with the KB floor when no gate is given, and stops when aborted', async () => {
    expect(await researchLoopRunner({ research: () => [], maxRounds: 3 })(new AbortController().signal)).toEqual({ accepted: [], vetoed: [], rounds: 1 })
    // Without a gate the KB gate applies: a candidate that is not a fact is refused, not waved through.
    const out = await researchLoopRunner({ research: () => [1] })(new AbortController().signal)
    expect(out.accepted).toEqual([])
    expect(out.vetoed).toEqual([{ candidate: 1, vetoedBy: 'fact-shape', reason: expect.stringContaining('a fact must be an object') }])
    const ac = new AbortController()
    ac.abort()
    expect(await researchLoopRunner({ research: () => ['x'] })(ac.signal)).toEqual({ accepted: [], vetoed: [], rounds: 0 })
  })

  it('rejects a bad maxRounds', () => {
    try {
      researchLoopRunner({ research: () => [], maxRounds: 0 })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError)
      expect((e as ValidationError).code).toBe('validation')
      expect((e as Error).message).toBe('researchLoopRunner: maxRounds must be a positive integer; received 0.')
    }
  })
})

function io(modules: Record<string, unknown> = {}) {
  const out = { stdout: '', stderr: '' }
  return {
    out,
    io: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
      importModule: async (p: string) => {
        if (!(p in modules)) throw new Error(`Cannot find module '${p}'`)
        return modules[p]
      },
    },
  }
}

describe('runLoopRunnerCli', () => {
  const registry = { research: async () => ({ found: 3 }), code: async () => Promise.reject(new Error('tests failed')) }

  it('exits 0 and prints the JSON result, for both flag forms and every export shape', async () => {
    for (const [argv, mod] of [
      [['--mode', 'research', '--config', 'cfg'], { default: registry }],
      [['--mode=research', '--config=cfg'], registry],
      [['--config', 'cfg', '--mode', 'research'], { default: () => registry }],
      [['--mode', 'research', '--config', 'cfg'], { default: async () => registry }],
    ] as const) {
      const { out, io: cliIo } = io({ cfg: mod })
      expect(await runLoopRunnerCli(argv, cliIo)).toBe(0)
      const printed = JSON.parse(out.stdout)
      expect(printed).toMatchObject({ mode: 'research', ok: true, output: { found: 3 } })
      expect(out.stdout.startsWith('{\n  "mode": "research"')).toBe(true)
    }
  })

  it('exits 1 when the loop fails', async () => {
    const { out, io: cliIo } = io({ cfg: registry })
    expect(await runLoopRunnerCli(['--mode', 'code', '--config', 'cfg'], cliIo)).toBe(1)
    expect(JSON.parse(out.stdout)).toMatchObject({ mode: 'code', ok: false, error: 'tests failed' })
  })

  it('exits 2 with usage when arguments are missing', async () => {
    const { out, io: cliIo } = io()
    expect(await runLoopRunnerCli(['--mode', 'research'], cliIo)).toBe(2)
    expect(out.stderr).toMatch(/^usage: agent-runtime-loop --mode <code\|review\|research\|dynamic> --config <path to module>/)
  })

  it('exits 2 for an unknown mode, a load error, and an unregistered mode', async () => {
    const cases: Array<[string[], Record<string, unknown>, string]> = [
      [['--mode', 'deploy', '--config', 'cfg'], { cfg: registry }, "unknown mode 'deploy' (expected one of: code, review, research, dynamic)"],
      [['--mode', 'research', '--config', 'missing.mjs'], {}, "failed to load registry: Cannot find module 'missing.mjs'"],
      [['--mode', 'research', '--config', 'cfg'], { cfg: { default: 42 } }, 'failed to load registry: config must export a registry object or a function returning one; got number'],
      [['--mode', 'dynamic', '--config', 'cfg'], { cfg: registry }, "config registers no runner for mode 'dynamic' (registered: code, research)"],
    ]
    for (const [argv, mods, error] of cases) {
      const { out, io: cliIo } = io(mods)
      expect(await runLoopRunnerCli(argv, cliIo)).toBe(2)
      expect(JSON.parse(out.stderr)).toEqual({ error })
      expect(out.stdout).toBe('')
    }
  })
})
