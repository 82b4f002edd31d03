/**
 * Unified-diff parsing for code-change checks. The input is untrusted (an agent
 * may hand back anything), so the parser never throws: it reads what it can
 * and ignores the rest. Hunk line counts from `@@` headers are honoured so a
 * removed line that reads "-- x" is never mistaken for a `--- x` file header.
 */

/** How a file changed in a diff. @experimental */
export type DiffFileStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'copied'

/** One file section of a unified diff. `null` paths stand for `/dev/null`. @experimental */
export interface DiffFile {
  /** Path before the change; `null` when the file was created. */
  oldPath: string | null
  /** Path after the change; `null` when the file was deleted. */
  newPath: string | null
  status: DiffFileStatus
  insertions: number
  deletions: number
  binary: boolean
}

/** A parsed unified diff. @experimental */
export interface ParsedDiff {
  files: DiffFile[]
  /** Every path the diff touches (old and new sides, `/dev/null` excluded), deduplicated, in order of appearance. */
  paths: string[]
  insertions: number
  deletions: number
}

/** A file section under construction, with what has been read of it so far. */
interface Draft extends DiffFile {
  sawMinus: boolean
  sawPlus: boolean
  sawHunk: boolean
  fromGitHeader: boolean
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

/**
 * Parses a unified diff (git or plain `diff -u`) into files, touched paths and
 * line counts. Never throws; unknown lines are ignored.
 * @example
 * parseUnifiedDiff('--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n').paths // ['x.js']
 * @experimental
 */
export function parseUnifiedDiff(raw: string): ParsedDiff {
  const files: Draft[] = []
  let current: Draft | undefined
  // Lines left in the current hunk; both -1 outside a hunk. A hunk header
  // without parseable counts switches to loose mode (counts unknown).
  let oldLeft = -1
  let newLeft = -1
  let loose = false

  const text = typeof raw === 'string' ? raw : ''
  const lines = text.split('\n')

  const startFile = (fromGitHeader: boolean): Draft => {
    const draft: Draft = {
      oldPath: null,
      newPath: null,
      status: 'modified',
      insertions: 0,
      deletions: 0,
      binary: false,
      sawMinus: false,
      sawPlus: false,
      sawHunk: false,
      fromGitHeader,
    }
    files.push(draft)
    current = draft
    oldLeft = -1
    newLeft = -1
    loose = false
    return draft
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i]
    const inHunk = oldLeft > 0 || newLeft > 0

    if (inHunk && current) {
      const mark = line[0]
      if (mark === '+' && newLeft > 0) {
        current.insertions++
        newLeft--
        continue
      }
      if (mark === '-' && oldLeft > 0) {
        current.deletions++
        oldLeft--
        continue
      }
      if ((mark === ' ' || line === '') && oldLeft > 0 && newLeft > 0) {
        oldLeft--
        newLeft--
        continue
      }
      if (mark === '\\') continue
      // The counts and the lines disagree: the hunk is over; read the line as a header.
      oldLeft = -1
      newLeft = -1
    }

    if (line.startsWith('diff --git ')) {
      const draft = startFile(true)
      const pair = splitGitHeaderPaths(line.slice('diff --git '.length))
      if (pair) {
        draft.oldPath = pair[0]
        draft.newPath = pair[1]
      }
      continue
    }

    if (line.startsWith('--- ')) {
      // A `---` line is a header when it opens the header of a `diff --git`
      // section, or when a `+++` line follows it; otherwise it is content.
      const attachToGit = current?.fromGitHeader === true && !current.sawMinus && !current.sawHunk
      if (attachToGit || lines[i + 1]?.startsWith('+++ ') === true) {
        const draft = attachToGit ? current! : startFile(false)
        draft.oldPath = headerPath(line.slice(4), 'a/')
        draft.sawMinus = true
        if (draft.oldPath === null) draft.status = 'added'
        loose = false
        continue
      }
    }

    if (line.startsWith('+++ ') && current?.sawMinus && !current.sawPlus && !current.sawHunk) {
      current.newPath = headerPath(line.slice(4), 'b/')
      current.sawPlus = true
      if (current.newPath === null) current.status = 'deleted'
      continue
    }

    if (current) {
      const hunk = HUNK_HEADER.exec(line)
      if (hunk) {
        oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2])
        newLeft = hunk[4] === undefined ? 1 : Number(hunk[4])
        loose = false
        current.sawHunk = true
        continue
      }
      if (line.startsWith('@@')) {
        // Malformed hunk header: count +/- lines until the next file header.
        loose = true
        current.sawHunk = true
        continue
      }
      if (loose) {
        if (line.startsWith('+')) current.insertions++
        else if (line.startsWith('-')) current.deletions++
        continue
      }
      if (line.startsWith('new file mode')) {
        current.status = 'added'
        current.oldPath = null
      } else if (line.startsWith('deleted file mode')) {
        current.status = 'deleted'
        current.newPath = null
      } else if (line.startsWith('rename from ')) {
        current.status = 'renamed'
        current.oldPath = unquote(line.slice('rename from '.length))
      } else if (line.startsWith('rename to ')) {
        current.status = 'renamed'
        current.newPath = unquote(line.slice('rename to '.length))
      } else if (line.startsWith('copy from ')) {
        current.status = 'copied'
        current.oldPath = unquote(line.slice('copy from '.length))
      } else if (line.startsWith('copy to ')) {
        current.status = 'copied'
        current.newPath = unquote(line.slice('copy to '.length))
      } else if (line.startsWith('Binary files ') && line.endsWith(' differ')) {
        current.binary = true
        const pair = splitBinaryPaths(line.slice('Binary files '.length, -' differ'.length))
        if (pair) {
          current.oldPath = pair[0]
          current.newPath = pair[1]
          if (pair[0] === null) current.status = 'added'
          if (pair[1] === null) current.status = 'deleted'
        }
      }
    }
  }

  const out: DiffFile[] = []
  const paths: string[] = []
  const seen = new Set<string>()
  let insertions = 0
  let deletions = 0
  for (const draft of files) {
    if (draft.oldPath === null && draft.newPath === null && draft.insertions + draft.deletions === 0) continue
    const file: DiffFile = {
      oldPath: draft.oldPath,
      newPath: draft.newPath,
      status: draft.status,
      insertions: draft.insertions,
      deletions: draft.deletions,
      binary: draft.binary,
    }
    out.push(file)
    insertions += file.insertions
    deletions += file.deletions
    for (const p of [file.oldPath, file.newPath]) {
      if (p !== null && p !== '' && !seen.has(p)) {
        seen.add(p)
        paths.push(p)
      }
    }
  }
  return { files: out, paths, insertions, deletions }
}

/** Reads the path of a `---`/`+++` line: drops a trailing tab-separated timestamp, unquotes, strips the git prefix. */
function headerPath(value: string, prefix: 'a/' | 'b/'): string | null {
  let v = value
  if (!v.startsWith('"')) {
    const tab = v.indexOf('\t')
    if (tab >= 0) v = v.slice(0, tab)
  }
  v = unquote(v.trimEnd())
  if (v === '/dev/null') return null
  return v.startsWith(prefix) ? v.slice(prefix.length) : v
}

/** Splits the `a/X b/Y` part of a `diff --git` line; null when it cannot be read unambiguously. */
function splitGitHeaderPaths(rest: string): [string | null, string | null] | null {
  if (rest.startsWith('"')) {
    const first = readQuoted(rest, 0)
    if (!first || rest[first.end] !== ' ') return null
    const second = rest.slice(first.end + 1)
    return [stripPrefix(first.value, 'a/'), stripPrefix(unquote(second), 'b/')]
  }
  // Same path on both sides (the common case): "a/P b/P".
  if ((rest.length - 5) % 2 === 0 && rest.startsWith('a/')) {
    const half = (rest.length - 5) / 2
    const left = rest.slice(2, 2 + half)
    if (rest.slice(2 + half) === ` b/${left}`) return [left, left]
  }
  if (!rest.startsWith('a/')) return null
  // Only the new side quoted: `a/x "b/y z"`.
  const quotedSep = rest.lastIndexOf(' "b/')
  if (quotedSep > 0 && rest.endsWith('"')) return [rest.slice(2, quotedSep), stripPrefix(unquote(rest.slice(quotedSep + 1)), 'b/')]
  const sep = rest.indexOf(' b/')
  if (sep < 0) return null
  return [rest.slice(2, sep), rest.slice(sep + 3)]
}

/** Splits `a/X and b/Y` of a `Binary files … differ` line. */
function splitBinaryPaths(rest: string): [string | null, string | null] | null {
  const sep = rest.indexOf(' and ')
  if (sep < 0) return null
  const read = (v: string, prefix: 'a/' | 'b/'): string | null => {
    const u = unquote(v)
    return u === '/dev/null' ? null : stripPrefix(u, prefix)
  }
  return [read(rest.slice(0, sep), 'a/'), read(rest.slice(sep + ' and '.length), 'b/')]
}

function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value
}

/** Undoes git's C-style quoting of a path ("a/caf\303\251"); returns the input when it is not quoted. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value
  const read = readQuoted(value, 0)
  return read ? read.value : value
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34 }

/** Reads a C-quoted string starting at `start`; returns its decoded value and the index after the closing quote. */
function readQuoted(s: string, start: number): { value: string; end: number } | null {
  if (s[start] !== '"') return null
  const bytes: number[] = []
  const encoder = new TextEncoder()
  for (let i = start + 1; i < s.length; i++) {
    const ch = s[i]
    if (ch === '"') return { value: new TextDecoder().decode(new Uint8Array(bytes)), end: i + 1 }
    if (ch === '\\' && i + 1 < s.length) {
      const next = s[i + 1]
      const octal = /^[0-7]{3}/.exec(s.slice(i + 1, i + 4))
      if (octal) {
        bytes.push(Number.parseInt(octal[0], 8) & 0xff)
        i += 3
        continue
      }
      if (next in ESCAPES) {
        bytes.push(ESCAPES[next])
        i += 1
        continue
      }
    }
    bytes.push(...encoder.encode(ch))
  }
  return null
}
