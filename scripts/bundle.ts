// How vpcsc's code is bundled, for dist/ (scripts/build.ts) and for the benchmark's floor
// (bench/floor/): the esbuild options and the plugins that do not depend on src/'s layout.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

import type {BuildOptions, Plugin} from 'esbuild'

import {sourceRewrites} from './source-rewrites.ts'

const requireBuiltin = createRequire(import.meta.url)

/**
 * The AWS SDK clients keep every request and response shape in one module, as arrays keyed
 * by constants (`{[_xN]: ...}`): esbuild cannot prove such computed keys free of side
 * effects, so it keeps all of the ~3,400 shapes. Writing the constant's string in place of
 * the key (the same object) lets it drop the shapes vpcsc never sends or reads. A file in
 * another layout is left as it is.
 */
const awsSchemaKeys: Plugin = {
  name: 'aws-schema-keys',
  setup(b) {
    b.onLoad({filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](.*[\\/])?schemas[\\/]schemas_\d+\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const strings = new Map([...source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)].map((m) => [m[1]!, m[2]!]))
      return {contents: source.replace(/\[(_\w+)\]:/g, (key, name: string) => (strings.has(name) ? `${strings.get(name)}:` : key)), loader: 'js'}
    })
  },
}

/**
 * node:http, imported by ES modules in the bundle (node-fetch, the AWS SDK's HTTP handler),
 * is loaded with require() instead. Node's ES module wrapper of a built-in reads every
 * export, getters included, and http's WebSocket, CloseEvent and MessageEvent getters load
 * undici: ~14 ms of every run, for classes vpcsc never uses. require() reads none of them.
 * The wrapper exports the module as its default and every other export by name but those
 * three: importing one of them by name fails the build rather than loading undici unseen.
 * (The other built-ins have no such getter; a wrapper for each would cost a chunk file each.)
 */
const UNDICI_GETTERS = new Set(['WebSocket', 'CloseEvent', 'MessageEvent'])
const httpByRequire: Plugin = {
  name: 'http-by-require',
  setup(b) {
    b.onResolve({filter: /^(node:)?http$/}, (args) => (args.kind === 'import-statement' || args.kind === 'dynamic-import' ? {path: 'http', namespace: 'builtin'} : undefined))
    b.onLoad({filter: /.*/, namespace: 'builtin'}, () => {
      const exported = Object.keys(requireBuiltin('node:http')).filter((name) => !UNDICI_GETTERS.has(name))
      return {
        contents: `import {createRequire} from 'node:module'\nconst http = createRequire(import.meta.url)('node:http')\nexport default http\nexport const {${exported.join(', ')}} = http\n`,
        loader: 'js',
      }
    })
  },
}

/** The plugins every bundle takes (scripts/build.ts adds the lazy facades of src/'s imports). */
export const BUNDLE_PLUGINS: Plugin[] = [httpByRequire, sourceRewrites, awsSchemaKeys]

export const BUNDLE_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // The AWS SDK's ES module build (dist-es) can be tree-shaken; its CommonJS build cannot.
  mainFields: ['module', 'main'],
  // The CommonJS packages inside the bundle call require() for Node's built-ins.
  banner: {js: "import {createRequire as __vpcscCreateRequire} from 'node:module';const require = __vpcscCreateRequire(import.meta.url);"},
  legalComments: 'none',
  logLevel: 'warning',
} as const satisfies BuildOptions
