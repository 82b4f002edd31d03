import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo, REGISTRY, runBin } from './bin-helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('agent-runtime-loop (child process)', () => {
  it('--help and -h print usage on stdout and exit 0; --version prints the version', async () => {
    const dir = gitRepo(dirs)
    for (const flag of ['--help', '-h']) {
      const res = await runBin([flag], dir)
      expect(res.code).toBe(0)
      expect(res.stdout).toContain('agent-runtime-loop run <pattern>')
      expect(res.stdout).toContain('3 halted by the budget or the kill-switch')
      expect(res.stdout).not.toMatch(/self-improve|audit/)
    }
    const v = await runBin(['--version'], dir)
    expect(v.code).toBe(0)
    expect(v.stdout).toBe('0.1.0\n')
  }, 120_000)

  it('list prints the patterns as JSON; plan resolves a level; a syntax error names the file and line', async () => {
    const dir = gitRepo(dirs)
    const list = await runBin(['list'], dir)
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).patterns).toEqual([expect.objectContaining({ id: 'daily-triage', suggested_daily_cap: 12000 })])
    const plan = await runBin(['plan', 'daily-triage', '--level', 'L1'], dir)
    expect(JSON.parse(plan.stdout)).toMatchObject({ level: 'L1', commit: 'none', dailyTokenCap: 12000 })
    const capped = await runBin(['plan', 'daily-triage', '--daily-cap', '50000'], dir)
    expect(JSON.parse(capped.stdout)).toMatchObject({ level: 'L1', dailyTokenCap: 50000 })
    writeFileSync(join(dir, 'bad.yaml'), 'patterns:\n  - id: x\n    name: [unclosed\n')
    const bad = await runBin(['list', '--registry', 'bad.yaml'], dir)
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stderr).error).toMatch(/bad\.yaml:\d+: YAML syntax error/)
    writeFileSync(join(dir, 'field.yaml'), REGISTRY.replace('risk: low', 'risk: extreme'))
    const field = await runBin(['list', '--registry', 'field.yaml'], dir)
    expect(field.code).toBe(2)
    expect(JSON.parse(field.stderr).error).toMatch(/field\.yaml:7: patterns\[0\]\.risk: /)
    writeFileSync(join(dir, 'noloop.yaml'), REGISTRY.replace('loops/daily-triage/LOOP.md', 'loops/missing/LOOP.md'))
    const noLoop = await runBin(['run', 'daily-triage', '--dry-run', '--registry', 'noloop.yaml'], dir)
    expect(noLoop.code).toBe(2)
    expect(JSON.parse(noLoop.stderr).error).toMatch(/noloop\.yaml:4: patterns\[0\]\.file: .*loops\/missing\/LOOP\.md not found/)
  }, 120_000)

  it('cron simulation: five runs under an injected clock crossing midnight share the cap, halt with exit 3, and roll over', async () => {
    const dir = gitRepo(dirs)
    const times = ['2026-03-01T22:00:00Z', '2026-03-01T23:00:00Z', '2026-03-01T23:30:00Z', '2026-03-02T00:10:00Z', '2026-03-02T01:00:00Z']
    const results = []
    for (const t of times) results.push(await runBin(['run', 'daily-triage', '--level', 'L2', '--dry-run'], dir, { AGENT_RUNTIME_LOOP_NOW: t }))
    expect(results.map((r) => r.code)).toEqual([0, 0, 3, 0, 0])
    expect(results[0]!.stdout).toContain('Budget: 5,000 / 12,000 tokens spent today.')
    expect(results[1]!.stdout).toContain('Budget: 10,000 / 12,000 tokens spent today.')
    expect(results[2]!.stdout).toContain('halted: daily-cap')
    expect(results[2]!.stdout).toContain('Budget: 10,000 / 12,000 tokens spent today.')
    expect(results[3]!.stdout).toContain('Budget: 5,000 / 12,000 tokens spent today.')
    expect(results[4]!.stdout).toContain('Budget: 10,000 / 12,000 tokens spent today.')
  }, 300_000)

  it('the kill-switch (file, env var, halt: true in STATE.md) halts before any spend with exit 3', async () => {
    const dir = gitRepo(dirs)
    mkdirSync(join(dir, '.agent-runtime'), { recursive: true })
    writeFileSync(join(dir, '.agent-runtime', 'KILL'), '')
    const file = await runBin(['run', 'daily-triage', '--level', 'L2', '--dry-run'], dir)
    expect(file.code).toBe(3)
    expect(file.stdout).toContain('halted: kill-switch')
    expect(file.stdout).toContain('tick 1: halted — 0 tokens')
    rmSync(join(dir, '.agent-runtime', 'KILL'))
    const env = await runBin(['run', 'daily-triage', '--dry-run'], dir, { AGENT_RUNTIME_KILL: '1' })
    expect(env.code).toBe(3)
    writeFileSync(join(dir, 'STATE.md'), '---\nhalt: true\n---\n')
    const state = await runBin(['run', 'daily-triage', '--dry-run'], dir)
    expect(state.code).toBe(3)
    expect(state.stdout).toContain('halt: true in')
  }, 120_000)

  it('--mode: a result JSON cannot hold still prints parseable JSON; --timeout ends a runner that never settles with exit 1', async () => {
    const dir = gitRepo(dirs)
    writeFileSync(
      join(dir, 'loops.config.mjs'),
      `const cyc = { n: 10n }; cyc.self = cyc
export default { research: async () => cyc, dynamic: () => new Promise(() => {}) }\n`,
    )
    const big = await runBin(['--mode', 'research', '--config', 'loops.config.mjs'], dir)
    expect(big.code).toBe(0)
    expect(JSON.parse(big.stdout)).toMatchObject({ ok: true, output: { n: '10', self: '[Circular]' } })
    const hang = await runBin(['--mode', 'dynamic', '--config', 'loops.config.mjs', '--timeout', '500'], dir)
    expect(hang.code).toBe(1)
    expect(JSON.parse(hang.stdout)).toEqual({ error: 'timed out after 500 ms (--timeout)', ok: false })
  }, 120_000)

  it('--backend claude runs headless `claude -p` in the worktree through the command harness', async () => {
    const dir = gitRepo(dirs)
    const bin = mkdtempSync(join(tmpdir(), 'fake-claude-'))
    dirs.push(bin)
    // A stand-in for the claude CLI: answers by prompt, edits files only where it runs, prints the JSON envelope.
    writeFileSync(
      join(bin, 'claude'),
      `#!/bin/sh
prompt="$2"
case "$prompt" in
  "You run the loop"*) echo '{"type":"result","result":"act: the example is missing","usage":{"input_tokens":700,"output_tokens":300},"total_cost_usd":0.01}' ;;
  Goal:*"Fix small things."*) mkdir -p src && echo 'export const fixed = true' > src/fix.ts && echo '{"type":"result","result":"added src/fix.ts","usage":{"input_tokens":2000,"output_tokens":1000},"total_cost_usd":0.03}' ;;
  Review*) echo '{"type":"result","result":"APPROVE small and safe","usage":{"input_tokens":400,"output_tokens":100},"total_cost_usd":0.01}' ;;
esac
`,
    )
    chmodSync(join(bin, 'claude'), 0o755)
    const mainBefore = execFileSync('git', ['rev-parse', 'main'], { cwd: dir, encoding: 'utf8' })
    const res = await runBin(['run', 'daily-triage', '--level', 'L2', '--backend', 'claude'], dir, { PATH: `${bin}:${process.env.PATH}` })
    expect(res.stderr).not.toMatch(/error/i)
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('via claude backend:')
    expect(res.stdout).toContain('tick 1: act (accept) — 4500 tokens')
    expect(res.stdout).toContain('· proposed change touching src/fix.ts')
    expect(res.stdout).toMatch(/committed: safe \+ allowlisted \(throwaway branch agent-runtime\/daily-triage\/tick-1-/)
    expect(existsSync(join(dir, 'src', 'fix.ts'))).toBe(false)
    const branch = /throwaway branch (\S+)\)/.exec(res.stdout)![1]!
    expect(execFileSync('git', ['show', `${branch}:src/fix.ts`], { cwd: dir, encoding: 'utf8' })).toBe('export const fixed = true\n')
    expect(execFileSync('git', ['rev-parse', 'main'], { cwd: dir, encoding: 'utf8' })).toBe(mainBefore)
  }, 120_000)

  it('a KILL file created while a tick is in flight stops the run within that iteration (exit 3, no further tick)', async () => {
    const dir = gitRepo(dirs)
    const bin = mkdtempSync(join(tmpdir(), 'fake-claude-'))
    dirs.push(bin)
    // The implementer call creates the kill file, as an operator would mid-run.
    writeFileSync(
      join(bin, 'claude'),
      `#!/bin/sh
case "$2" in
  "You run the loop"*) echo '{"type":"result","result":"act","usage":{"input_tokens":1000,"output_tokens":0}}' ;;
  Goal:*) mkdir -p src '${dir}/.agent-runtime' && echo x > src/x.ts && touch '${dir}/.agent-runtime/KILL' && echo '{"type":"result","result":"done","usage":{"input_tokens":3000,"output_tokens":0}}' ;;
  *) echo "unexpected call: $2" >&2; exit 9 ;;
esac
`,
    )
    chmodSync(join(bin, 'claude'), 0o755)
    const res = await runBin(['run', 'daily-triage', '--level', 'L2', '--backend', 'claude', '--ticks', '3'], dir, { PATH: `${bin}:${process.env.PATH}` })
    expect(res.code).toBe(3)
    expect(res.stdout).toContain('Ran 1 tick(s) of Daily Triage [L2] via claude backend:')
    expect(res.stdout).toContain('tick 1: halted — 4000 tokens')
    expect(res.stdout).toContain('· halted: kill-switch (kill-switch file')
    expect(res.stdout).toContain('Budget: 4,000 / 12,000 tokens spent today.')
    expect(res.stderr).not.toContain('unexpected call')
  }, 120_000)
})
