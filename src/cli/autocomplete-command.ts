/**
 * A command of @oclif/plugin-autocomplete, run as one of vpcsc's own commands (as for `help`,
 * src/commands/help.ts: a plugin would be read on every start, a command only when called).
 * The package exports none of its commands, so the module is imported by its path in the
 * installed package, unbundled, with the package's own @oclif/core (as it was as a plugin).
 */
export async function autocompleteCommand(name: 'index' | 'create' | 'script'): Promise<unknown> {
  const entry = import.meta.resolve('@oclif/plugin-autocomplete')
  return ((await import(new URL(`./commands/autocomplete/${name}.js`, entry).href)) as {default: unknown}).default
}
