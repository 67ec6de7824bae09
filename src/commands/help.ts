import {commands} from '@oclif/plugin-help'

/**
 * `vpcsc help [COMMAND]`: @oclif/plugin-help's command, as one of vpcsc's own. As a plugin,
 * oclif would find and read its package.json and manifest on every run of every command (a
 * cost of each start, bench/RESULTS.md); as a command, its module loads only when called.
 */
export default commands.help
