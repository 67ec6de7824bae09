#!/usr/bin/env node
// Checked before anything is imported: on an old Node the SDKs fail with obscure
// syntax or API errors, so say plainly what is needed instead.
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(
    `vpcsc needs Node.js 22 or newer (the LTS lines 22 and 24); this is Node.js ${process.versions.node}.\n` +
      'Install a supported Node.js (https://nodejs.org) and run vpcsc again.\n',
  )
  process.exit(2)
}

// Cache compiled bytecode between runs: start-up is most of a short command's time.
const {enableCompileCache} = await import('node:module')
enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
