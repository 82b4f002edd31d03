// TypeDoc plugin: treats the workspace's sibling packages as part of the documented project.
// TypeDoc's notExported check skips every type whose package differs from the project's
// (@tangle-network/agent-runtime), and all real code lives in the siblings
// (@tangle-network/agent-runtime-core, …). Re-labelling their references makes a public
// signature that names an unexported sibling type a warning, which CI treats as an error.
import { Converter, makeRecursiveVisitor } from 'typedoc'

const WORKSPACE = /^@tangle-network\/agent-runtime(-|$)/

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const project = context.project
    const relabel = makeRecursiveVisitor({
      reference(type) {
        if (type.package && WORKSPACE.test(type.package)) type.package = project.packageName
      },
    })
    for (const reflection of Object.values(project.reflections)) {
      reflection.type?.visit(relabel)
      for (const sig of reflection.signatures ?? []) {
        sig.type?.visit(relabel)
        for (const p of sig.parameters ?? []) p.type?.visit(relabel)
        for (const tp of sig.typeParameters ?? []) tp.type?.visit(relabel)
      }
      for (const tp of reflection.typeParameters ?? []) {
        tp.type?.visit(relabel)
        tp.default?.visit(relabel)
      }
      for (const t of [...(reflection.extendedTypes ?? []), ...(reflection.implementedTypes ?? [])]) t.visit(relabel)
    }
  })
}
