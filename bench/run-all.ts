// Runs every *.bench.ts in this folder, one child process each, so one
// benchmark's warm caches or heap never colour another's numbers.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

let failed = 0
for (const file of files) {
  console.log(`\n=== ${file}`)
  const res = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, file)], {
    stdio: 'inherit',
    cwd: here,
  })
  if (res.status !== 0) {
    failed++
    console.log(`!!! ${file} exited with ${res.status ?? res.signal}`)
  }
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`)
process.exitCode = failed ? 1 : 0
