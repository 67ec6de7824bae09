// Rewrites of some dependencies' own files as scripts/build.ts bundles them (an esbuild
// plugin), each for start-up time or to keep a module Node would load for nothing out of
// the run. Each rewrite is a pure function of a file's path and text, tested on its own
// (test/unit/source-rewrites.test.ts).
import {readFileSync} from 'node:fs'
import {isBuiltin} from 'node:module'
import {dirname, join} from 'node:path'

import type {Plugin} from 'esbuild'

/**
 * gaxios, google-auth-library and gcp-metadata (the metadata server's credentials) build
 * their requests' headers with the global Headers (and test bodies against FormData). On
 * Node those globals are undici's, loaded on first use (~14 ms of every Google call's
 * start), while the requests themselves go through node-fetch (gaxios's choice on Node).
 * Their own files get node-fetch's Headers and FormData instead, the classes of the fetch
 * that sends them.
 */
export function nodeFetchHeaders(path: string, source: string): string {
  if (!/[\\/]node_modules[\\/](gaxios|google-auth-library|gcp-metadata)[\\/]/.test(path)) return source
  if (!/\b(Headers|FormData)\b/.test(source.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ''))) return source
  return `const {Headers, FormData} = require('node-fetch');\n${source}`
}

/**
 * oclif sorts the manifest's commands with localeCompare on every start, and the first
 * localeCompare of a process loads ICU's collation data: ~4.7 ms of every run, `--version`
 * included, to order a dozen ASCII command ids (lower-case letters, '-' and ':'), which a
 * code-point comparison puts in the same order. If oclif's line changes, the build fails
 * here rather than losing the saving unseen.
 */
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id));'
export function ordinalCommandSort(path: string, source: string): string {
  if (!/[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/.test(path)) return source
  if (!source.includes(OCLIF_COMMAND_SORT)) throw new Error(`${path} no longer sorts commands with "${OCLIF_COMMAND_SORT}": update ordinalCommandSort in scripts/source-rewrites.ts`)
  return source.replace(OCLIF_COMMAND_SORT, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));')
}

/**
 * CommonJS packages whose modules require at load time what only some runs use: oclif
 * requires its help renderer, glob matchers, template engine and spinner on every start;
 * google-auth-library's index requires every kind of credential, and gcp-metadata and gaxios
 * to re-export them. In their own modules, a top-level `const x = require("y")` or
 * `exports.x = require("y")` (TypeScript's output, also with __importDefault or
 * __importStar) becomes a stand-in that requires "y" on first use, so a run evaluates only
 * the modules it touches. The stand-in forwards every operation on a module's exports
 * (calls, `new` and `extends`, property reads and writes, `in`, keys); identity and `typeof`
 * (always "function") differ, and these packages test neither on a module. What a module
 * does as it loads happens at first use too, so a module whose load the process relies on
 * stays eager: oclif's command.js, whose load makes a closed stdout (EPIPE) harmless.
 */
const LAZY_REQUIRE_PACKAGES = /[\\/]node_modules[\\/](@oclif[\\/]core|google-auth-library|gaxios|gcp-metadata)[\\/]/
const TOP_LEVEL_REQUIRE = /^(const \w+|var \w+|let \w+|exports\.\w+) = ((?:__importDefault|__importStar)\()?require\(("[^"]+"|'[^']+')\)(\))?;$/gm
const EAGER_MODULES = /[\\/]@oclif[\\/]core[\\/]lib[\\/]command$/
// The stand-in's target is a bound function: callable and constructible (a module may export
// a function, `wordwrap(...)`), and without the non-configurable `prototype` a Proxy would
// then have to report as its own.
const LAZY_MODULE = `function __vpcscLazyModule(load) {
  let loaded
  const module = () => (loaded ??= load())
  const standIn = new Proxy(function () {}.bind(null), {
    apply: (_, self, args) => Reflect.apply(module(), self, args),
    // A subclass (class X extends standIn) gets instances of its own, not of the module's.
    construct: (_, args, newTarget) => Reflect.construct(module(), args, newTarget === standIn ? module() : newTarget),
    get: (_, key) => module()[key],
    set: (_, key, value) => ((module()[key] = value), true),
    has: (_, key) => key in module(),
    ownKeys: () => Reflect.ownKeys(module()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(module(), key)
      return descriptor && {...descriptor, configurable: true}
    },
  })
  return standIn
}
`
export function lazyRequires(path: string, source: string): string {
  if (!LAZY_REQUIRE_PACKAGES.test(path)) return source
  const lazy = source.replace(TOP_LEVEL_REQUIRE, (line, binding: string, wrap = '', specifier: string, close = '') =>
    // Node's built-ins stay as they are: most are loaded before any of this runs, and their
    // methods may rely on being called on the module itself (process.on).
    isBuiltin(specifier.slice(1, -1)) || EAGER_MODULES.test(join(dirname(path), specifier.slice(1, -1))) ? line : `${binding} = __vpcscLazyModule(() => ${wrap}require(${specifier})${close});`,
  )
  return lazy === source ? source : `${lazy}\n${LAZY_MODULE}`
}

/** The three rewrites above, in one plugin: esbuild gives each file to one onLoad only. */
export const sourceRewrites: Plugin = {
  name: 'source-rewrites',
  setup(b) {
    // The packages of the lazy rewrite, which are also those of the other two.
    b.onLoad({filter: new RegExp(`${LAZY_REQUIRE_PACKAGES.source}.*\\.js$`)}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const rewritten = lazyRequires(args.path, ordinalCommandSort(args.path, nodeFetchHeaders(args.path, source)))
      return rewritten === source ? undefined : {contents: rewritten, loader: 'js'}
    })
  },
}
