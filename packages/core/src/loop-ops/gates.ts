import { ValidationError } from '../errors.js'
import { isSecretPath } from '../profiles/secret-paths.js'
import { firstMatch } from './glob.js'

/** Risk categories a gate can escalate on. @experimental */
export type GateCategory = 'security' | 'payments' | 'infra' | 'dependencies'

/** Dependency manifests and lockfiles; a change to one always escalates. @experimental */
export const DEPENDENCY_MANIFEST_GLOBS: readonly string[] = [
  'package.json',
  'package-lock.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'yarn.lock',
  'bun.lockb',
  'bun.lock',
  'npm-shrinkwrap.json',
  'requirements*.txt',
  'Pipfile',
  'Pipfile.lock',
  'poetry.lock',
  'pyproject.toml',
  'uv.lock',
  'Cargo.toml',
  'Cargo.lock',
  'go.mod',
  'go.sum',
  'Gemfile',
  'Gemfile.lock',
  'composer.json',
  'composer.lock',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
]
/**
 * The documented globs of each category. A changed path matching one of a
 * category named in `escalateOn` escalates.
 * @experimental
 */
export const GATE_CATEGORY_GLOBS: Readonly<Record<GateCategory, readonly string[]>> = {
  security: ['**/auth/**', '**/security/**', '**/crypto/**', '**/permissions/**', '**/secrets/**', '**/*auth*.*', '**/*password*', '**/*token*.*', '**/*.pem', '**/*.key'],
  payments: ['**/payment*/**', '**/payments/**', '**/billing/**', '**/checkout/**', '**/stripe*/**', '**/*payment*.*', '**/*billing*.*', '**/*invoice*.*', '**/*stripe*.*'],
  infra: [
    '.github/workflows/**',
    '**/Dockerfile*',
    '**/docker-compose*',
    '**/*.tf',
    '**/terraform/**',
    '**/k8s/**',
    '**/kubernetes/**',
    '**/helm/**',
    '**/infra/**',
    '**/deploy/**',
    '**/.ci/**',
    '**/Makefile',
  ],
  dependencies: DEPENDENCY_MANIFEST_GLOBS,
}


/** Options of {@link createGatePolicy}. @experimental */
export interface GatePolicyOptions {
  /** Globs that always escalate. */
  deny?: readonly string[]
  /** Globs that may proceed; at L3 only a change whose every path is allowlisted reaches the target branch. */
  allow?: readonly string[]
  /** More changed files than this escalates. Default 10. */
  maxFilesChanged?: number
  /** The `maxAttempts`-th failed attempt escalates. Default 3. */
  maxAttempts?: number
  /** Categories whose paths escalate. Default all four. */
  escalateOn?: readonly GateCategory[]
}

/** A proposed change as the gate sees it. @experimental */
export interface GateChange {
  /** Changed paths, relative to the repository root. */
  files: readonly string[]
  /** Failed attempts so far at this goal, this one included when it failed. */
  failedAttempts?: number
}

/** The gate's answer: proceed (commit as the level allows) or escalate (never commit). @experimental */
export interface GateDecision {
  action: 'proceed' | 'escalate'
  /** Why, one entry per finding; on proceed `['safe']` plus `'allowlisted'` when every path is. */
  reasons: string[]
  /** Every changed path matched `allow`. */
  allowlisted: boolean
}

/** A human-gate policy. @experimental */
export interface GatePolicy {
  decide(change: GateChange): GateDecision
  readonly options: Required<GatePolicyOptions>
}

const CATEGORIES: readonly GateCategory[] = ['security', 'payments', 'infra', 'dependencies']

/**
 * Builds a human-gate policy: a denylisted path, a dependency manifest or
 * lockfile, a secret path, more than `maxFilesChanged` files, the
 * `maxAttempts`-th failed attempt, or a path in an `escalateOn` category
 * escalates; otherwise the change proceeds. Fails closed: an empty change
 * list or a malformed change escalates too.
 * @experimental
 * @example
 * const gate = createGatePolicy({ deny: ['migrations/**'], allow: ['src/**', 'test/**'] })
 * gate.decide({ files: ['src/example.ts'] }) // → { action: 'proceed', reasons: ['safe', 'allowlisted'], allowlisted: true }
 */
export function createGatePolicy(options: GatePolicyOptions = {}): GatePolicy {
  const resolved: Required<GatePolicyOptions> = {
    deny: options.deny ?? [],
    allow: options.allow ?? [],
    maxFilesChanged: options.maxFilesChanged ?? 10,
    maxAttempts: options.maxAttempts ?? 3,
    escalateOn: options.escalateOn ?? [...CATEGORIES],
  }
  for (const key of ['maxFilesChanged', 'maxAttempts'] as const) {
    const v = resolved[key]
    if (!Number.isInteger(v) || v < 1) throw new ValidationError(`createGatePolicy: ${key} must be a positive integer, got ${String(v)}`)
  }
  for (const key of ['deny', 'allow'] as const) {
    if (!Array.isArray(resolved[key]) || resolved[key].some((g) => typeof g !== 'string' || g === '')) {
      throw new ValidationError(`createGatePolicy: ${key} must be an array of non-empty glob strings`)
    }
  }
  for (const c of resolved.escalateOn) {
    if (!CATEGORIES.includes(c)) throw new ValidationError(`createGatePolicy: escalateOn has unknown category ${JSON.stringify(c)}; expected any of ${CATEGORIES.join(', ')}`)
  }
  return {
    options: resolved,
    decide(change) {
      const reasons: string[] = []
      const files = Array.isArray(change?.files) ? change.files : undefined
      if (!files || files.length === 0) return { action: 'escalate', reasons: ['no changed files reported (the gate fails closed)'], allowlisted: false }
      for (const f of files) {
        const denied = firstMatch(f, resolved.deny)
        if (denied) reasons.push(`denylisted: ${f} (${denied})`)
        if (firstMatch(f, DEPENDENCY_MANIFEST_GLOBS)) reasons.push(`dependency manifest or lockfile: ${f}`)
        if (isSecretPath(f)) reasons.push(`secret path: ${f}`)
        for (const c of resolved.escalateOn) {
          if (c === 'dependencies') continue // covered above for every policy
          const hit = firstMatch(f, GATE_CATEGORY_GLOBS[c])
          if (hit) reasons.push(`${c}: ${f} (${hit})`)
        }
      }
      if (files.length > resolved.maxFilesChanged) reasons.push(`${files.length} files changed > maxFilesChanged ${resolved.maxFilesChanged}`)
      const failed = change.failedAttempts ?? 0
      if (failed >= resolved.maxAttempts) reasons.push(`attempt ${failed} failed: maxAttempts ${resolved.maxAttempts} reached`)
      const allowlisted = resolved.allow.length > 0 && files.every((f) => firstMatch(f, resolved.allow) !== undefined)
      if (reasons.length > 0) return { action: 'escalate', reasons, allowlisted }
      return { action: 'proceed', reasons: allowlisted ? ['safe', 'allowlisted'] : ['safe'], allowlisted }
    },
  }
}
