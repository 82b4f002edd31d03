import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/researcher-loop', () => {
  it('accepts the backed facts, vetoes the unbacked and laundered ones, and escalates them after re-research', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/researcher-loop/main.ts'], {
      cwd: ROOT,
      timeout: 60_000,
    })
    const lines = stdout.split('\n').map((l) => l.trim())
    expect(lines).toContain('round 1: 5 candidate facts drafted')
    expect(lines).toContain('"Rust 1.0 shipped async/await" (vetoed by passage-present) → no original source found; resubmitted as is')
    expect(lines).toContain(
      '"crates.io downloads passed 60 billion in 2023" (vetoed by value-in-passage) → re-quoted from crates-io.md, corrected to "crates.io downloads passed 50 billion in 2023"',
    )
    const accepted = lines.slice(lines.indexOf('accepted (3):') + 1, lines.indexOf('accepted (3):') + 4)
    expect(accepted).toEqual([
      '✓ Rust 1.0 was released in 2015  [rust-1.0.md] "Rust 1.0 was released on May 15, 2015"',
      '✓ crates.io hosts more than 140k crates  [crates-io.md] "crates.io hosted more than 140,000 crates"',
      '✓ crates.io downloads passed 50 billion in 2023  [crates-io.md] "Downloads from the registry passed 50 billion in 2023, roughly doubling in two years"',
    ])
    expect(lines).toContain('✗ Rust 1.0 shipped async/await  [rust-1.0.md] vetoed by passage-present: verbatim passage not found in source (unbacked fact)')
    expect(lines.some((l) => l.startsWith('✗ Rust 1.0 shipped async/await  [notes/spec.v1.md] vetoed by no-circular-citation'))).toBe(true)
    expect(lines).toContain('outcome: as expected (the backed facts accepted, the invented and laundered ones vetoed and escalated)')
  }, 90_000)
})
