// Shared by the end-to-end tests: one world per test file, reset before each test, and
// small readers of the emulated Google's state and request log.
import {after, before, beforeEach} from 'node:test'

import {LEVEL, OTHER_LEVEL, PERIMETER} from '../local-cloud/google/seed.ts'
import {runCli, startWorld, type CliResult, type World, type WorldOptions} from '../local-cloud/world.ts'

export {LEVEL, OTHER_LEVEL, PERIMETER}

export interface StoredLevel {
  name: string
  title?: string
  basic?: {combiningFunction?: string; conditions: {ipSubnetworks?: string[]; members?: string[]; regions?: string[]}[]}
}

/** Starts one world for the file and resets it before each test. */
export function useWorld(options: WorldOptions = {}): {readonly world: World} {
  const holder: {world?: World} = {}
  before(async () => {
    holder.world = await startWorld(options)
  })
  beforeEach(async () => {
    await holder.world!.reset()
  })
  after(async () => {
    await holder.world?.stop()
  })
  return {
    get world() {
      if (!holder.world) throw new Error('world not started')
      return holder.world
    },
  }
}

export function vpcsc(world: World, args: string[], opts?: Parameters<typeof runCli>[2]): Promise<CliResult> {
  return runCli(world, args, opts)
}

export async function storedLevel(world: World, name = LEVEL): Promise<StoredLevel> {
  const state = (await world.admin.state()) as {levels: StoredLevel[]}
  const level = state.levels.find((l) => l.name === name)
  if (!level) throw new Error(`no level ${name} in the emulator`)
  return level
}

export async function writes(world: World): Promise<{method: string; path: string}[]> {
  return (await world.admin.requests()).filter((r) => r.write === true)
}

/** A result's output, for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}
