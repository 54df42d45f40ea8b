import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A service freshet started and must be able to find and stop later. */
export interface ServiceRecord {
  pid: number
  address: string
  version: string
  startedAtMs: number
  logFile: string
}

export interface StackState {
  kafka?: ServiceRecord
  registry?: ServiceRecord
}

export function stateFile(stateDir: string): string {
  return join(stateDir, 'stack.json')
}

export function readState(stateDir: string): StackState {
  const file = stateFile(stateDir)
  if (!existsSync(file)) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StackState
  } catch {
    return {}
  }
}

/** Written through a rename so a reader never sees half a file. */
export function writeState(stateDir: string, state: StackState): void {
  mkdirSync(stateDir, { recursive: true })
  const file = stateFile(stateDir)
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
}
