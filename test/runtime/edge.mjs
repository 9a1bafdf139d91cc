// The runner for Vercel's edge runtime: bundled with esbuild into one IIFE script (the edge
// runtime evaluates scripts, not modules; `process` and `require` are undefined there) that
// puts the suite on the global object. The host then evaluates
// `__authcodeSmoke.runSmoke(options).then(JSON.stringify)` and awaits it.
import { detectRuntime, runSmoke } from './smoke.mjs'

globalThis.__authcodeSmoke = { runSmoke, detectRuntime }
