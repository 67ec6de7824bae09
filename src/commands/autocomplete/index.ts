// `vpcsc autocomplete [bash|zsh|powershell]`: @oclif/plugin-autocomplete's command (see
// src/cli/autocomplete-command.ts).
import {autocompleteCommand} from '../../cli/autocomplete-command.ts'

export default await autocompleteCommand('index')
