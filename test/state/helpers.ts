// Shared by the state tests: a seeded random generator and byte helpers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { StateEntry } from '../../src/state/index.ts'

/** mulberry32: deterministic, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export const b = (text: string): Buffer => Buffer.from(text)
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** Entries as `key=value` strings (UTF-8 keys and values), for readable assertions. */
export function show(entries: Iterable<StateEntry>): string[] {
  return [...entries].map(([key, value]) => `${key.toString()}=${value.toString()}`)
}

/** Entries as `keyhex=valuehex`, for binary keys. */
export function showHex(entries: Iterable<StateEntry>): string[] {
  return [...entries].map(([key, value]) => `${hex(key)}=${hex(value)}`)
}

const cleanups = new WeakMap<TestContext, Array<() => unknown>>()

/**
 * Runs `fn` when the test ends, last registered first: a store opened in a temporary directory is
 * closed before the directory goes (node:test runs its own `after` hooks first registered first).
 */
export function defer(t: TestContext, fn: () => unknown): void {
  let list = cleanups.get(t)
  if (list === undefined) {
    const created: Array<() => unknown> = []
    list = created
    cleanups.set(t, created)
    t.after(async () => {
      for (const cleanup of created.reverse()) await cleanup()
    })
  }
  list.push(fn)
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'freshet-state-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  defer(t, () => rmSync(dir, { recursive: true, force: true }))
  return dir
}
