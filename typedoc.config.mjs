// TypeDoc over every entry point of @tangle-network/agent-runtime (`pnpm run docs` → docs/api/).
// Entry points and the sibling packages' paths are read from the exports maps, so a new
// subpath is documented without touching this file. The sibling packages are mapped to
// their sources with `paths`: resolved through node_modules, TypeScript would mark them
// as external libraries and TypeDoc would skip its notExported check on their types.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = import.meta.dirname
const manifest = (dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'))
const sources = (dir) =>
  Object.entries(manifest(dir).exports)
    .filter(([sub, target]) => typeof target === 'object' && target.source && !sub.endsWith('/bin'))
    .map(([sub, target]) => [sub, join(root, 'packages', dir, target.source)])

const paths = {}
for (const dir of readdirSync(join(root, 'packages'))) {
  if (dir === 'agent-runtime') continue
  for (const [sub, file] of sources(dir)) paths[manifest(dir).name + sub.slice(1)] = [file]
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: '@tangle-network/agent-runtime',
  tsconfig: './tsconfig.typedoc.json',
  plugin: ['./bin/typedoc-workspace-plugin.mjs'],
  compilerOptions: { paths },
  entryPoints: sources('agent-runtime').map(([, file]) => file),
  out: 'docs/api',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
  // Source links point at the public repository; a clone's own remote (often a local path in CI) is not consulted.
  sourceLinkTemplate: 'https://github.com/tangle-network/agent-runtime/blob/{gitRevision}/{path}#L{line}',
  // Private helper aliases that public types are built from; listed here rather than exported.
  intentionallyNotExported: [
    'src/contracts/events.ts:E',
    'src/otel/spans.ts:AttrValue',
    // zod schemas whose inferred types are the exported wire types
    'src/agent/wire.ts:wireExport',
    'src/agent/wire.ts:wireRun',
    'src/coder-delegate/selection.ts:CoderIteration',
    // argument shapes of the bin's command table
    'src/console/command.ts:Args',
    'src/bin.ts:Parsed',
  ],
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: false, unusedMergeModuleWith: true },
}
