/**
 * At most `max` tasks at a time, the rest queued in order. The NAT reads fan out over
 * (account, region) pairs; a bound keeps sockets and memory flat when an organisation has
 * dozens of accounts. A dozen lines, so no dependency (p-limit does the same with a queue
 * package of its own).
 */
export function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: (() => void)[] = []
  const next = (): void => {
    if (active >= max) return
    const start = waiting.shift()
    if (!start) return
    active++
    start()
  }
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        // A task that throws synchronously still frees its slot.
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            active--
            next()
          })
      })
      next()
    })
}

/**
 * Promise.all whose failure does not depend on timing: when several reads fail (a missing
 * policy fails the policy read and the levels read alike), the first in the order given is
 * reported, not whichever answered first, so the same mistake always gets the same, most
 * telling message. To report a failure it waits for the promises before it (each read is
 * bounded by its own timeout), never for those after it.
 */
export async function allInOrder<const T extends readonly unknown[]>(promises: T): Promise<{-readonly [K in keyof T]: Awaited<T[K]>}> {
  try {
    return await Promise.all(promises)
  } catch (first) {
    // Promise.all has handled every rejection already: awaiting again reports none twice.
    for (const promise of promises) await promise
    throw first
  }
}
