// Kept apart from run.js, in plain old-syntax JavaScript, so that it runs on any Node and
// can be tested without an old Node at hand.
export const MIN_NODE_MAJOR = 22

/** The message for an unsupported Node.js, or undefined when this one will do. */
export function unsupportedNode(version) {
  const major = Number(String(version).replace(/^v/, '').split('.')[0])
  if (major >= MIN_NODE_MAJOR) return undefined
  return (
    `vpcsc needs Node.js ${MIN_NODE_MAJOR} or newer (the LTS lines 22 and 24); this is Node.js ${version}.\n` +
    'Install a supported Node.js (https://nodejs.org) and run vpcsc again.\n'
  )
}

/** Whether the command line asks for --json (before a `--`, after which words are arguments). */
export function wantsJson(argv) {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).indexOf('--json') !== -1
}

/**
 * The same, as --json gives every failure: the JSON error object (schemas/error.json), code
 * UNSUPPORTED_NODE (src/lib/core/error-codes.ts), exit 2. Its message and hint are the two
 * lines above; undefined when this Node will do.
 */
export function unsupportedNodeJson(version) {
  const problem = unsupportedNode(version)
  if (problem === undefined) return undefined
  const lines = problem.split('\n')
  return JSON.stringify({error: {code: 'UNSUPPORTED_NODE', message: lines[0], hint: lines[1], exitCode: 2}}, null, 2) + '\n'
}
