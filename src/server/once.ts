// One-time ids remembered in memory: a callback's transaction, a logout token's jti.

/**
 * A memory of ids, each until its time: the returned function answers false for an id it holds
 * (a replay) and true, remembering it, for a new one. Expired ids are swept when it is full;
 * still full of live ids, it answers `whenFull` without remembering: a server under a flood
 * then either fails open (the provider still refuses a used code) or refuses.
 */
export function createOnce(max: number, whenFull: boolean): (id: string, until: number) => boolean {
  const memory = new Map<string, number>()
  return (id, until) => {
    const now = Date.now() / 1000
    const prior = memory.get(id)
    if (prior !== undefined && prior > now) return false
    if (memory.size >= max) for (const [k, t] of memory) if (t <= now) memory.delete(k)
    if (memory.size >= max) return whenFull
    memory.set(id, until)
    return true
  }
}
