// `vpcsc autocomplete create` (hidden): writes the completion functions (see
// src/cli/autocomplete-command.ts).
import {autocompleteCommand} from '../../cli/autocomplete-command.ts'

export default await autocompleteCommand('create')
