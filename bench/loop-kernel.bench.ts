// Kernel overhead per iteration: runLoop vs a LangGraph StateGraph running the
// same instant node (create a scripted box, stream its prompt, parse, validate,
// delete). Sequential: N rounds of one iteration (refine vs a self-loop edge).
// Fan-out: one round of N (fanout-vote vs Send API + a vote node). "raw" is the
// instant work called in a plain loop, i.e. the floor both are measured against.
// Prints numbers and ratios; never asserts timings.
import { Annotation, END, Send, START, StateGraph } from '@langchain/langgraph'
import { createFanoutVoteDriver, createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import type { SandboxEvent } from '@tangle-network/agent-runtime-core'

// LangGraph's Send fan-out adds many listeners to its own internal AbortSignal;
// keep its MaxListeners warnings out of the table.
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (w.name !== 'MaxListenersExceededWarning') console.warn(w)
})

type Verdict = { valid: boolean; score: number }
type Result = { index: number; output: number; verdict: Verdict }

// A fresh client per measured call, so its records never pile up across thousands of calls.
const newSandbox = () =>
  createScriptedSandboxClient({
    respond: (prompt) => [
      { type: 'text_delta', data: { text: prompt } },
      { type: 'result', data: { finalText: prompt, usage: { inputTokens: 1, outputTokens: 1 } } },
    ],
  })
let sandbox = newSandbox()
const spec = { name: 'bench', profile: { name: 'bench' }, taskToPrompt: (t: string) => t }
const output = { parse: (events: SandboxEvent[]) => events.length }
// Never valid, so the refine driver keeps going to its cap.
const validator = { validate: (o: number): Verdict => ({ valid: false, score: o / 10 }) }

/** The same instant work the kernel does per iteration, without orchestration. */
async function instantWork(task: string, index: number): Promise<Result> {
  const box = await sandbox.create({ backend: { type: 'opencode', profile: spec.profile } })
  const events: SandboxEvent[] = []
  for await (const e of box.streamPrompt(spec.taskToPrompt(task))) events.push(e)
  const out = output.parse(events)
  const verdict = validator.validate(out)
  await box.delete?.()
  return { index, output: out, verdict }
}

async function rawSequential(n: number): Promise<number> {
  const results: Result[] = []
  for (let i = 0; i < n; i++) results.push(await instantWork('task', i))
  return results.length
}
async function rawFanout(n: number): Promise<number> {
  return (await Promise.all(Array.from({ length: n }, (_, i) => instantWork('task', i)))).length
}

async function loopSequential(n: number): Promise<number> {
  const r = await runLoop({
    driver: createRefineDriver<string, number>({ maxIterations: n }),
    agentRun: spec,
    output,
    validator,
    task: 'task',
    ctx: { sandboxClient: sandbox },
    maxIterations: n,
    runId: 'bench',
  })
  return r.iterations.length
}
async function loopFanout(n: number): Promise<number> {
  const r = await runLoop({
    driver: createFanoutVoteDriver<string, number>({ n }),
    agentRun: spec,
    output,
    validator,
    task: 'task',
    ctx: { sandboxClient: sandbox },
    maxIterations: n,
    maxConcurrency: n,
    runId: 'bench',
  })
  return r.iterations.length
}

const State = Annotation.Root({
  target: Annotation<number>(),
  results: Annotation<Result[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  winner: Annotation<number | undefined>(),
})
type S = typeof State.State

const sequentialGraph = new StateGraph(State)
  .addNode('iterate', async (s: S) => ({ results: [await instantWork('task', s.results.length)] }))
  .addEdge(START, 'iterate')
  .addConditionalEdges('iterate', (s: S) => (s.results.length >= s.target ? END : 'iterate'))
  .compile()

const WorkerState = Annotation.Root({ index: Annotation<number>() })
const vote = (s: S): Partial<S> => {
  const best = [...s.results].sort((a, b) => b.verdict.score - a.verdict.score || a.index - b.index)[0]
  return { winner: best?.index }
}
const fanoutGraph = new StateGraph(State)
  .addNode('worker', async (s: typeof WorkerState.State) => ({ results: [await instantWork('task', s.index)] }), { input: WorkerState })
  .addNode('vote', vote)
  .addConditionalEdges(START, (s: S) => Array.from({ length: s.target }, (_, index) => new Send('worker', { index })))
  .addEdge('worker', 'vote')
  .addEdge('vote', END)
  .compile()

async function graphSequential(n: number): Promise<number> {
  const out = await sequentialGraph.invoke({ target: n }, { recursionLimit: n + 10 })
  return out.results.length
}
async function graphFanout(n: number): Promise<number> {
  const out = await fanoutGraph.invoke({ target: n })
  return out.results.length
}

/** Mean ms per call: warm up, then repeat until both a time and a count floor are met. */
async function measure(label: string, n: number, fn: (n: number) => Promise<number>, minMs = 250, minReps = 5): Promise<number> {
  for (let i = 0; i < 3; i++) {
    sandbox = newSandbox()
    const got = await fn(n)
    if (got !== n) throw new Error(`${label}: expected ${n} iterations, got ${got}`)
    if (sandbox.liveBoxIds().length !== 0) throw new Error(`${label}: leaked ${sandbox.liveBoxIds().length} boxes`)
  }
  let reps = 0
  const t0 = performance.now()
  while (reps < minReps || performance.now() - t0 < minMs) {
    sandbox = newSandbox()
    await fn(n)
    reps++
  }
  return (performance.now() - t0) / reps
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1).padStart(8)} µs`
const rows: string[] = []
for (const [shape, raw, loop, graph] of [
  ['sequential', rawSequential, loopSequential, graphSequential],
  ['fan-out', rawFanout, loopFanout, graphFanout],
] as const) {
  for (const n of [1, 10, 100]) {
    const rawMs = await measure(`raw ${shape} ${n}`, n, raw)
    const loopMs = await measure(`runLoop ${shape} ${n}`, n, loop)
    const graphMs = await measure(`langgraph ${shape} ${n}`, n, graph)
    const perIter = (ms: number): number => ms / n
    const over = (ms: number): number => Math.max(0, ms - rawMs) / n
    rows.push(
      `${shape.padEnd(10)} ${String(n).padStart(3)} | raw ${us(perIter(rawMs))}/it | runLoop ${us(perIter(loopMs))}/it (overhead ${us(over(loopMs))}) | ` +
        `langgraph ${us(perIter(graphMs))}/it (overhead ${us(over(graphMs))}) | runLoop/langgraph ${(loopMs / graphMs).toFixed(2)}x`,
    )
    console.log(rows[rows.length - 1])
  }
}
