#!/usr/bin/env node
// vpcsc from its TypeScript sources, without a build (as oclif projects' bin/dev.js):
// Node (22.18 or newer) strips the types itself, as the tests do. The commands and the hook
// are read from src/ instead of dist/; everything else is as bin/run.js does it.
//   node bin/dev.js status
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {unsupportedNode, unsupportedNodeJson, wantsJson} from './node-version.js'

const [major, minor] = process.versions.node.split('.').map(Number)
const problem = unsupportedNode(process.versions.node) ?? (major === 22 && minor < 18 ? `bin/dev.js runs TypeScript directly, which needs Node.js 22.18 or newer; this is Node.js ${process.versions.node}.\n` : undefined)
if (problem) {
  process.stderr.write(problem)
  if (wantsJson(process.argv.slice(2))) process.stdout.write(unsupportedNodeJson(process.versions.node) ?? `${JSON.stringify({error: {code: 'UNSUPPORTED_NODE', message: problem.trim(), exitCode: 2}}, null, 2)}\n`)
  process.exit(2)
}

// As bin/run.js: the warnings filter first, before node:util loads.
const {quietLibraryWarnings} = await import('../src/cli/library-warnings.ts')
quietLibraryWarnings()

const {Config, Plugin} = await import('@oclif/core')
const {execute} = await import('../src/cli/run.ts')
const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {...pjson.oclif, commands: './src/commands', hooks: {command_not_found: './src/hooks/command-not-found.ts'}}
// oclif.manifest.json describes dist/: the root plugin is loaded without it, from src/.
const rootPlugin = new Plugin({isRoot: true, root, pjson, ignoreManifest: true})
await rootPlugin.load()
await execute({dir: import.meta.url, loadOptions: await Config.load({root, pjson, plugins: new Map([[rootPlugin.name, rootPlugin]])})})
