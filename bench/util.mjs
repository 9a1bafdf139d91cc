// Shared helpers of the benchmarks: medians, timed windows, and the common fixtures.
import { readFileSync } from 'node:fs'

export const BENCH_DIR = new URL('.', import.meta.url).pathname
export const ROOT_DIR = new URL('..', import.meta.url).pathname

/** The one application every client is configured as. */
export const APP = Object.freeze({
  clientId: 'bench-client',
  clientSecret: 'bench-client-secret-0123456789abcdef',
  redirectUri: 'https://app.bench.example/callback',
  scope: 'read:contacts offline_access',
  audience: 'https://api.bench.example',
})

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return undefined
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** The installed version of a package of bench/ (or of the repository root for authcode). */
export function versionOf(name) {
  const file = name === 'authcode' ? `${ROOT_DIR}package.json` : `${BENCH_DIR}node_modules/${name}/package.json`
  return JSON.parse(readFileSync(file, 'utf8')).version
}

/**
 * Runs `op` for `ms` milliseconds, back to back (concurrency 1) or with `concurrency` calls in
 * flight. Returns { rate: completed calls per second, cpuUs: this process's CPU time per call in
 * microseconds }. The CPU figure moves much less than the rate when other work shares the machine.
 */
export async function timed(op, ms, concurrency = 1) {
  const cpu = process.cpuUsage()
  let n = 0
  const start = performance.now()
  const end = start + ms
  if (concurrency === 1) {
    let now = start
    while (now < end) {
      for (let i = 0; i < 8; i++) await op()
      n += 8
      now = performance.now()
    }
  } else {
    const worker = async () => {
      while (performance.now() < end) {
        await op()
        n++
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { rate: (n * 1000) / wall, cpuUs: (used.user + used.system) / n }
}

/**
 * Measures each contender `rounds` times, interleaved (round 1 of every contender, then round 2, …,
 * starting each round one contender later) so that drift of the machine hits all of them alike.
 * `measureOne(contender)` returns one sample: a number, or { rate, cpuUs } from timed().
 * Returns Map(name -> { median, samples }) (and cpuUs, the median CPU per call, for timed()).
 */
export async function interleaved(contenders, rounds, measureOne) {
  const samples = new Map(contenders.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length]
      samples.get(c.name).push(await measureOne(c))
    }
  }
  return new Map(
    [...samples].map(([name, s]) =>
      typeof s[0] === 'number'
        ? [name, { median: median(s), samples: s }]
        : [name, { median: median(s.map((x) => x.rate)), samples: s.map((x) => x.rate), cpuUs: median(s.map((x) => x.cpuUs)) }],
    ),
  )
}

export function formatBytes(bytes) {
  return `${(bytes / 1024).toFixed(2)} KB`
}

export function formatRate(perSecond) {
  if (perSecond >= 100_000) return `${Math.round(perSecond / 1000)}k/s`
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k/s`
  return `${Math.round(perSecond)}/s`
}

export function formatRatio(ratio) {
  if (ratio === undefined || !Number.isFinite(ratio)) return ''
  return ratio >= 10 ? `${ratio.toFixed(1)}x` : `${ratio.toFixed(2)}x`
}

/** Base64url of bytes with Web APIs only (the raw baseline and adapters that need it). */
export function base64url(bytes) {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i])
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
