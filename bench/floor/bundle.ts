// Bundles the floor (program.ts) as dist/ is bundled (scripts/bundle.ts): the same options and
// plugins, one chunk per lazily imported half. Returns the path of program.js in `dir`.
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

import {BUNDLE_OPTIONS, BUNDLE_PLUGINS} from '../../scripts/bundle.ts'

export async function bundleFloor(dir: string): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url))
  await build({...BUNDLE_OPTIONS, absWorkingDir: here, entryPoints: [join(here, 'program.ts')], outdir: dir, splitting: true, plugins: BUNDLE_PLUGINS})
  return join(dir, 'program.js')
}
