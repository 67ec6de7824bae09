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
