import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {ServicePerimeter} from '../../src/lib/gcp/types.ts'
import {describePerimeterChange, diffConfigs, summariseChanges} from '../../src/lib/perimeter/diff.ts'

const NAME = 'accessPolicies/1/servicePerimeters/p'
const enforced = {resources: ['projects/1'], restrictedServices: ['aiplatform.googleapis.com'], accessLevels: ['accessPolicies/1/accessLevels/office']}
const perimeter: ServicePerimeter = {name: NAME, title: 'p', status: enforced, spec: {...enforced, restrictedServices: [...enforced.restrictedServices, 'storage.googleapis.com']}, useExplicitDryRunSpec: true, etag: 'e1'}

describe('perimeter changes in words', () => {
  it('diffConfigs and summariseChanges count what a configuration adds and removes, field by field', () => {
    const changes = diffConfigs(perimeter.status, perimeter.spec)
    assert.deepEqual(changes, [{field: 'restrictedServices', added: ['storage.googleapis.com'], removed: []}])
    assert.equal(summariseChanges(changes), 'restrictedServices +1')
    assert.equal(summariseChanges([]), 'same as the enforced configuration')
  })

  it("describePerimeterChange names what someone else changed: each configuration, the dry-run switch, the title", () => {
    assert.equal(describePerimeterChange(perimeter, undefined), 'it was deleted')
    const promotedElsewhere: ServicePerimeter = {name: NAME, title: 'p', status: perimeter.spec, etag: 'e2'}
    assert.equal(describePerimeterChange(perimeter, promotedElsewhere), 'its enforced configuration changed (restrictedServices +1), its dry-run spec was removed, useExplicitDryRunSpec is now false')
    const levelRemoved = {...perimeter, status: {...enforced, accessLevels: []}, title: 'renamed'}
    assert.equal(describePerimeterChange(perimeter, levelRemoved), 'its enforced configuration changed (accessLevels -1), its title changed')
    const specAdded = {...promotedElsewhere, spec: enforced}
    assert.equal(describePerimeterChange(promotedElsewhere, specAdded), 'a dry-run spec was added')
  })

  it('a perimeter that is the same but for its etag: the change was elsewhere in the policy', () => {
    assert.equal(describePerimeterChange(perimeter, {...perimeter, etag: 'e9'}), 'another resource of its access policy changed')
  })
})
