import assert from 'node:assert/strict'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

import {partitionRegionPatterns, regionProblem} from '../../src/lib/aws/regions.ts'

/** The SDK's own partition table (not exported by name, so read from the installed file). */
async function sdkPartitions(): Promise<{id: string; regionRegex: string; regions: Record<string, unknown>}[]> {
  const require = createRequire(import.meta.url)
  const core = dirname(require.resolve('@aws-sdk/core/package.json', {paths: [dirname(require.resolve('@aws-sdk/client-ec2'))]}))
  const module = (await import(pathToFileURL(join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js')).href)) as {
    partitionsInfo: {partitions: {id: string; regionRegex: string; regions: Record<string, unknown>}[]}
  }
  return module.partitionsInfo.partitions
}

describe('AWS regions', () => {
  it('the patterns are the SDK partitions\' regionRegex, one for one', async () => {
    const partitions = await sdkPartitions()
    assert.deepEqual(
      partitionRegionPatterns.map((p) => p.source),
      partitions.map((p) => new RegExp(p.regionRegex).source.replaceAll('\\-', '-')),
    )
  })

  it('every region the SDK lists passes (its pseudo-regions such as aws-global aside)', async () => {
    for (const partition of await sdkPartitions()) {
      for (const region of Object.keys(partition.regions).filter((r) => !r.endsWith('-global'))) {
        assert.equal(regionProblem(region), undefined, `${partition.id} ${region}`)
      }
    }
  })

  it('refuses bad formats and names no partition has', () => {
    assert.match(regionProblem('US-EAST-1') ?? '', /expected an AWS region/)
    assert.match(regionProblem('us-east') ?? '', /expected an AWS region/)
    assert.match(regionProblem('xx-fake-9') ?? '', /is not an AWS region/)
    assert.match(regionProblem('cn-fake') ?? '', /expected an AWS region/)
  })
})
