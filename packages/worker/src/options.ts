/** Option checks shared by the dispatcher and the worker. */
import { ConfigError } from '@tangle-network/agent-runtime-core'

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

/** Throws a ConfigError naming `field` unless `value` is a plain SQL identifier. @internal */
export function checkIdentifier(where: string, field: string, value: string): string {
  if (!IDENT.test(value)) {
    throw new ConfigError(`${where}: ${field} ${JSON.stringify(value)} is not a plain SQL identifier; use letters, digits and underscores, starting with a letter`)
  }
  return value
}

/** Throws a ConfigError naming `field` unless `value` is an integer ≥ `min`. @internal */
export function checkInteger(where: string, field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${where}: ${field} must be an integer >= ${min}, got ${String(value)}`)
  return value
}

/** Throws a ConfigError unless the connection string is a postgres:// URL. @internal */
export function checkConnectionString(where: string, value: unknown): string {
  if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value.trim())) {
    throw new ConfigError(`${where}: connectionString must be a postgres:// URL (for example postgres://user@host:5432/db), got ${typeof value === 'string' ? JSON.stringify(value.replace(/:[^:@/]*@/, ':***@')) : typeof value}`)
  }
  return value.trim()
}
