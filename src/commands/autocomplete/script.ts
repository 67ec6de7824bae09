// `vpcsc autocomplete script SHELL` (hidden): the line a shell's rc file runs (see
// src/cli/autocomplete-command.ts).
import {autocompleteCommand} from '../../cli/autocomplete-command.ts'

export default await autocompleteCommand('script')
