import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FlinkState } from './types.ts'

/** flink.json in <state>/flink: the processes `flink up` started, as stack.json does for Kafka. */
export function flinkStateFile(flinkDir: string): string {
  return join(flinkDir, 'flink.json')
}

export function readFlinkState(flinkDir: string): FlinkState {
  const file = flinkStateFile(flinkDir)
  if (!existsSync(file)) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as FlinkState
  } catch {
    return {}
  }
}

/** Written through a rename so a reader never sees half a file. */
export function writeFlinkState(flinkDir: string, state: FlinkState): void {
  mkdirSync(flinkDir, { recursive: true })
  const file = flinkStateFile(flinkDir)
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
}
