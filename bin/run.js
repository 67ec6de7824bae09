#!/usr/bin/env node
// Checked before anything else is imported: on an old Node the SDKs fail with obscure
// syntax or API errors, so say plainly what is needed instead.
import {unsupportedNode, unsupportedNodeJson, wantsJson} from './node-version.js'

const problem = unsupportedNode(process.versions.node)
if (problem) {
  process.stderr.write(problem)
  // With --json, the JSON error object on stdout too (schemas/error.json), as for every failure.
  if (wantsJson(process.argv.slice(2))) process.stdout.write(unsupportedNodeJson(process.versions.node))
  process.exit(2)
}

// Cache compiled bytecode between runs: start-up is most of a short command's time.
const {enableCompileCache} = await import('node:module')
enableCompileCache?.()

// Library and runtime notices go to DEBUG=vpcsc:warnings (src/cli/library-warnings.ts); Node's
// own comes as node:util first loads, with dist/run.js: the filter is installed before it.
const {quietLibraryWarnings} = await import('../dist/library-warnings.js')
quietLibraryWarnings()

// dist/run.js is @oclif/core bundled by scripts/build.ts, the same copy the commands extend.
const {execute} = await import('../dist/run.js')
await execute({dir: import.meta.url})
