/**
 * The secret-path floor: paths a code-changing agent may never touch, whatever
 * the caller configures. Matching is case-insensitive and applies to every
 * segment of a path, so `config/.ENV.local` and `keys/prod.PEM` are caught at
 * any depth, and so is a file inside a directory named like a secret.
 */

/** Extensions of key and wallet files the floor rejects. @experimental */
export const SECRET_FILE_EXTENSIONS: readonly string[] = ['.pem', '.key', '.p12', '.pfx', '.keystore', '.wallet']

/** Exact file names the floor rejects (compared lower-cased). @experimental */
export const SECRET_FILE_NAMES: readonly string[] = [
  '.env',
  'id_rsa',
  'id_ed25519',
  'secret.json',
  'secrets.json',
  'credential.json',
  'credentials.json',
]

/**
 * True when `path` matches the secret-path floor: `.env` or `.env.*`, a key or
 * wallet extension, an SSH private key name, or `secret(s).json` /
 * `credential(s).json`, case-insensitively at any depth.
 * @example
 * isSecretPath('apps/web/.env.production') // true
 * isSecretPath('src/env.ts') // false
 * @experimental
 */
export function isSecretPath(path: string): boolean {
  for (const raw of path.split(/[\\/]/)) {
    const segment = raw.toLowerCase()
    if (segment === '' || segment === '.' || segment === '..') continue
    if (SECRET_FILE_NAMES.includes(segment)) return true
    if (segment.startsWith('.env.')) return true
    for (const ext of SECRET_FILE_EXTENSIONS) {
      // A bare ".pem" is still a key file; "pem" alone (no dot) is not.
      if (segment.endsWith(ext)) return true
    }
  }
  return false
}

/**
 * True when `path` matches one of `forbidden`, exactly or by prefix. The gate
 * fails closed: `src/gen` forbids `src/gen/a.ts` and also `src/generated.ts`.
 * End an entry with `/` to forbid only a folder's contents (`infra/` forbids
 * `infra/main.tf` but not `infrastructure.md`). A leading `./` is ignored, and
 * so is case: on a case-insensitive file system `INFRA/x` writes into `infra/`.
 * @example
 * isForbiddenPath('infra/prod/main.tf', ['infra/']) // true
 * @experimental
 */
export function isForbiddenPath(path: string, forbidden: readonly string[]): boolean {
  const target = normalizePath(path)
  for (const entry of forbidden) {
    const prefix = normalizePath(entry)
    if (prefix === '') continue
    const folderOnly = /[\\/]$/.test(entry.trim())
    if (target === prefix || target.startsWith(folderOnly ? `${prefix}/` : prefix)) return true
  }
  return false
}

function normalizePath(path: string): string {
  let p = path.replace(/\\/g, '/').toLowerCase()
  while (p.startsWith('./')) p = p.slice(2)
  while (p.startsWith('/')) p = p.slice(1)
  while (p.endsWith('/')) p = p.slice(0, -1)
  return p
}
