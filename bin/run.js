#!/usr/bin/env node
// Checked before anything else is imported: on an old Node the SDKs fail with obscure
// syntax or API errors, so say plainly what is needed instead.
import {unsupportedNode} from './node-version.js'

const problem = unsupportedNode(process.versions.node)
if (problem) {
  process.stderr.write(problem)
  process.exit(2)
}

// Cache compiled bytecode between runs: start-up is most of a short command's time.
const {enableCompileCache} = await import('node:module')
enableCompileCache?.()

// dist/run.js is @oclif/core bundled by scripts/build.ts, the same copy the commands extend.
const {execute} = await import('../dist/run.js')
await execute({dir: import.meta.url})
