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
