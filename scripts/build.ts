// Builds dist/ with esbuild (npm run build runs this, then `oclif manifest`):
//   dist/run.js            @oclif/core's execute() (src/cli/run.ts), for bin/run.js
//   dist/library-warnings.js  the warnings filter bin/run.js installs before dist/run.js loads
//   dist/commands/**.js    one ES module per command in src/commands (oclif finds them there)
//   dist/hooks/*.js        oclif hooks (command_not_found), named in package.json
//   dist/chunks/*.js       code shared between those, and one lazy chunk per package that
//                          src/ imports with `await import(...)` (AWS SDK clients,
//                          google-auth-library, @inquirer/confirm), loaded only when called
//   dist/lambda.js         the AWS Lambda handler (src/lambda.ts), with its own chunks in
//   dist/lambda-chunks/    dist/lambda-chunks/: a function's package needs nothing else
//                          (npm run package:lambda zips them)
// Why: start-up was mostly Node finding, reading and compiling files (`vpcsc status` opened
// ~490 of them, now ~30), the AWS SDK's above all; bundled, and without the parts of the SDK
// vpcsc never calls, `status` takes about a third of the time and half the memory (README,
// Development). Nothing here changes what the code does: tests and the local cloud still
// run src/ directly.
//   node scripts/build.ts
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, type Plugin} from 'esbuild'
import ts from 'typescript'

import {BUNDLE_OPTIONS, BUNDLE_PLUGINS} from './bundle.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const srcFiles = readdirSync(join(root, 'src'), {recursive: true, encoding: 'utf8'})
  .filter((file) => file.endsWith('.ts'))
  .sort()
  .map((file) => join('src', file))
// Entry points oclif loads by path: the commands, and the hooks package.json names.
const commands = srcFiles.filter((file) => file.startsWith(join('src', 'commands') + '/') || file.startsWith(join('src', 'hooks') + '/'))

/**
 * The names these files take from an object: `x.name` and `const {name} = ...`. A lazily
 * imported module is a namespace object, so these are all the names src/ can use from it;
 * a bare identifier (`EC2`, our own constant) is not one, and counting it would pull in the
 * SDK's aggregated client, which imports every one of its ~800 commands.
 */
function accessedNames(files: string[]): Set<string> {
  const names = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) names.add(node.name.text)
    if (ts.isObjectBindingPattern(node)) {
      for (const element of node.elements) {
        const key = element.propertyName ?? element.name
        if (ts.isIdentifier(key)) names.add(key.text)
      }
    }
    ts.forEachChild(node, visit)
  }
  for (const file of files) visit(ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest))
  return names
}

/** Whether Node loads a package's entry point (for `import`) as CommonJS. */
function isCommonJs(specifier: string): boolean {
  const file = fileURLToPath(import.meta.resolve(specifier))
  if (file.endsWith('.cjs')) return true
  if (file.endsWith('.mjs')) return false
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as {type?: string}).type !== 'module'
  }
  return true
}

/**
 * A package that src/ imports lazily (`await import('pkg')`) is bundled through a facade that
 * re-exports only the names src/ uses, so that esbuild can drop the rest (most of an AWS SDK
 * client), and so that a CommonJS package keeps its named exports (esbuild gives a lazily
 * imported CommonJS chunk only a default export). The names are those Node itself exports
 * for the package (cjs-module-lexer for CommonJS): the built CLI gets what `node src/...` gets.
 */
function lazyFacades(): Plugin {
  const used = accessedNames(srcFiles)
  return {
    name: 'lazy-facades',
    setup(b) {
      b.onResolve({filter: /^[^./]/}, (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || !args.importer.startsWith(join(root, 'src'))) return undefined
        return {path: args.path, namespace: 'lazy-facade'}
      })
      b.onLoad({filter: /.*/, namespace: 'lazy-facade'}, async (args) => {
        // A CommonJS package's default export is its module.exports in Node, which esbuild
        // cannot give from the package's ES module build: src/ uses the names instead.
        const exported = Object.keys(await import(args.path)).filter((name) => name !== 'default' || !isCommonJs(args.path))
        const names = exported.filter((name) => used.has(name)).sort()
        if (names.length === 0) throw new Error(`src/ imports ${args.path} lazily but uses none of its exports by name`)
        return {contents: `export {${names.join(', ')}} from '${args.path}'\n`, resolveDir: root, loader: 'js'}
      })
    },
  }
}

rmSync(join(root, 'dist'), {recursive: true, force: true})
await build({
  ...BUNDLE_OPTIONS,
  absWorkingDir: root,
  entryPoints: [...commands, {in: join('src', 'cli', 'run.ts'), out: 'run'}, {in: join('src', 'cli', 'library-warnings.ts'), out: 'library-warnings'}],
  outbase: 'src',
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  // oclif's TypeScript support for development (NODE_ENV=development): optional, not shipped.
  external: ['typescript', 'ts-node', 'tsx'],
  plugins: [...BUNDLE_PLUGINS, lazyFacades()],
})
// The handler's own entry and chunks: dist/lambda.js and dist/lambda-chunks/ are all a
// function's package needs (npm run package:lambda zips them). Splitting also keeps the AWS
// SDK tree-shaken: esbuild inlines a lazily imported module in a wrapper it cannot prune.
await build({
  ...BUNDLE_OPTIONS,
  absWorkingDir: root,
  entryPoints: [{in: join('src', 'lambda.ts'), out: 'lambda'}],
  outdir: 'dist',
  splitting: true,
  chunkNames: 'lambda-chunks/[name]-[hash]',
  plugins: [...BUNDLE_PLUGINS, lazyFacades()],
})
