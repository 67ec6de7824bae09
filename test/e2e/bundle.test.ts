import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

/**
 * What the build ships (scripts/build.ts): each AWS SDK client in the bundle carries only the
 * commands src/ sends. One stray name in a lazily imported facade (the SDK's aggregated
 * `EC2` class, say) brings in all ~800 EC2 commands, and every `vpcsc status` then loads
 * and initialises 1.7 MB more: 40% more time and memory, and no test would fail but this one.
 */
describe('the built bundle', () => {
  const source = readdirSync(join(REPO, 'src'), {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(join(REPO, 'src', file), 'utf8'))
    .join('\n')

  for (const dir of ['chunks', 'lambda-chunks']) {
    it(`dist/${dir}: every AWS SDK command bundled is one that src/ sends`, () => {
      const clients = readdirSync(join(REPO, 'dist', dir)).filter((file) => /^client-(ec2|ssm|sts)-/.test(file))
      assert.ok(clients.some((file) => file.startsWith('client-ec2-')), `an EC2 client chunk in dist/${dir}`)
      for (const file of clients) {
        const bundled = [...readFileSync(join(REPO, 'dist', dir, file), 'utf8').matchAll(/\b(\w+Command) = class\b/g)].map((m) => m[1]!)
        assert.ok(bundled.length > 0, `${file} defines the commands it sends`)
        // Sent as `new sdk.XCommand(...)`, or through its paginator (`sdk.paginateX`).
        const sent = (name: string) => source.includes(`.${name}(`) || source.includes(`.paginate${name.replace(/Command$/, '')}(`)
        const unsent = bundled.filter((name) => !sent(name))
        assert.deepEqual(unsent, [], `${file} bundles ${bundled.length} commands; src/ never sends these`)
      }
    })
  }
})
