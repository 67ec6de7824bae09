import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'

import {lazyRequires, nodeFetchHeaders, ordinalCommandSort} from '../../scripts/source-rewrites.ts'

const OCLIF_FILE = '/x/node_modules/@oclif/core/lib/help/index.js'

/** Runs a CommonJS module's text with a require() that records what it loads. */
function run(source: string, modules: Record<string, unknown>) {
  const loaded: string[] = []
  const require = (id: string) => {
    loaded.push(id)
    if (!(id in modules)) throw new Error(`no module ${id}`)
    return modules[id]
  }
  const importDefault = (mod: {__esModule?: boolean}) => (mod && mod.__esModule ? mod : {default: mod})
  const exports: Record<string, unknown> = {}
  new Function('require', 'exports', '__importDefault', source)(require, exports, importDefault)
  return {loaded, exports}
}

describe('lazyRequires', () => {
  class Widget {
    readonly size: number
    constructor(size: number) {
      this.size = size
    }
  }
  const modules = () => ({
    wordwrap: (width: number) => (text: string) => `${text}@${width}`,
    './widget': Widget,
    './settings': {debug: false, names: ['a']},
    'node:path': {sep: '/'},
    './destructured': {value: 1},
    './reexported': {answer: 42},
  })
  const source = [
    '"use strict";',
    'const wordwrap = require("wordwrap");',
    'const widget_1 = __importDefault(require("./widget"));',
    'const settings_1 = require("./settings");',
    'const node_path_1 = require("node:path");',
    'const {value} = require("./destructured");',
    'exports.reexported = require("./reexported");',
    'exports.sep = node_path_1.sep;',
    'exports.wrap = () => wordwrap(10)("text");',
    'exports.widget = () => new widget_1.default(3);',
    'exports.gadget = () => new (class Gadget extends widget_1.default { get kind() { return "gadget" } })(5);',
    'exports.settings = settings_1;',
    'function later() {',
    '  const inner = require("./inner");',
    '}',
  ].join('\n')

  it('requires a module at its first use, once, and built-ins and destructured requires at once', () => {
    const {loaded, exports} = run(lazyRequires(OCLIF_FILE, source), modules())
    assert.deepEqual(loaded, ['node:path', './destructured'])
    assert.equal((exports.wrap as () => string)(), 'text@10')
    assert.equal((exports.wrap as () => string)(), 'text@10')
    assert.deepEqual(loaded, ['node:path', './destructured', 'wordwrap'])
    assert.equal((exports.reexported as {answer: number}).answer, 42)
    assert.deepEqual(loaded, ['node:path', './destructured', 'wordwrap', './reexported'])
  })

  it('keeps what a module is: called, constructed, read, written, listed, tested with in', () => {
    const mods = modules()
    const {exports} = run(lazyRequires(OCLIF_FILE, source), mods)
    const widget = (exports.widget as () => Widget)()
    assert.ok(widget instanceof Widget)
    assert.equal(widget.size, 3)
    const gadget = (exports.gadget as () => Widget & {kind: string})()
    assert.deepEqual([gadget instanceof Widget, gadget.size, gadget.kind, gadget.constructor.name], [true, 5, 'gadget', 'Gadget'])
    const settings = exports.settings as {debug: boolean; names: string[]}
    settings.debug = true
    assert.equal(mods['./settings'].debug, true, 'a write reaches the module itself')
    assert.deepEqual(Object.keys(settings), ['debug', 'names'])
    assert.ok('names' in settings)
    assert.ok(!('other' in settings))
    assert.deepEqual({...settings}, {debug: true, names: ['a']})
  })

  it("leaves oclif's command module eager: its load guards stdout against EPIPE", () => {
    // OCLIF_FILE is lib/help/index.js: "../command" is lib/command.js, "./command" the help's own.
    const rewritten = lazyRequires(OCLIF_FILE, 'const command_1 = require("../command");\nconst command_2 = require("./command");')
    assert.match(rewritten, /^const command_1 = require\("\.\.\/command"\);$/m)
    assert.match(rewritten, /^const command_2 = __vpcscLazyModule/m)
  })

  it("leaves other packages' files, and requires inside functions, as they are", () => {
    assert.equal(lazyRequires('/x/node_modules/chalk/source/index.js', source), source)
    const rewritten = lazyRequires(OCLIF_FILE, source)
    assert.match(rewritten, /^ {2}const inner = require\("\.\/inner"\);$/m)
    assert.match(rewritten, /^const node_path_1 = require\("node:path"\);$/m)
    assert.match(rewritten, /^const wordwrap = __vpcscLazyModule\(\(\) => require\("wordwrap"\)\);$/m)
    assert.match(rewritten, /^const widget_1 = __vpcscLazyModule\(\(\) => __importDefault\(require\("\.\/widget"\)\)\);$/m)
  })
})

describe('ordinalCommandSort', () => {
  const line = '.sort((a, b) => a.id.localeCompare(b.id));'
  const plugin = '/x/node_modules/@oclif/core/lib/config/plugin.js'

  it("orders vpcsc's commands as localeCompare did", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, unknown>}
    const ids = Object.keys(manifest.commands).reverse()
    assert.ok(ids.length > 5)
    const rewritten = ordinalCommandSort(plugin, `const sorted = ids.map((id) => ({id}))\n  ${line}\nreturn sorted`)
    assert.ok(!rewritten.includes('localeCompare'))
    const sorted = new Function('ids', rewritten)(ids) as Array<{id: string}>
    assert.deepEqual(
      sorted.map((c) => c.id),
      [...ids].sort((a, b) => a.localeCompare(b)),
    )
  })

  it("fails the build when oclif's line has changed, and leaves other files alone", () => {
    assert.throws(() => ordinalCommandSort(plugin, 'commands.sort(byId)'), /no longer sorts commands/)
    assert.equal(ordinalCommandSort(OCLIF_FILE, `x${line}`), `x${line}`)
  })
})

describe('nodeFetchHeaders', () => {
  it("gives google-auth-library's files that use Headers node-fetch's, and leaves those that only mention it", () => {
    const file = '/x/node_modules/google-auth-library/build/src/auth/oauth2client.js'
    assert.match(nodeFetchHeaders(file, 'const h = new Headers(opts.headers);'), /^const \{Headers, FormData\} = require\('node-fetch'\);\n/)
    const commentOnly = '// Headers are merged below\nconst x = 1;'
    assert.equal(nodeFetchHeaders(file, commentOnly), commentOnly)
    assert.equal(nodeFetchHeaders('/x/node_modules/other/index.js', 'new Headers()'), 'new Headers()')
  })
})
