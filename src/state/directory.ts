import { join } from 'node:path'
import { FreshetError } from '../errors/index.ts'

export interface StoreLocation {
  /** Root of all local state of this process, e.g. `/var/lib/freshet`. */
  stateDir: string
  applicationId: string
  /** The task, named after its sub-topology and partition, e.g. `0_3`. */
  taskId: string
  storeName: string
}

/** Letters, digits, `.`, `_` and `-`: safe as one path segment on every file system freshet runs on. */
const SEGMENT = /^[A-Za-z0-9._-]+$/

/**
 * `<stateDir>/<applicationId>/<taskId>/<storeName>`: one RocksDB instance per task, partition and
 * store, so a task's state moves, is wiped or is restored as a unit when its partition moves.
 */
export function storeDirectory(location: StoreLocation): string {
  for (const part of ['applicationId', 'taskId', 'storeName'] as const) {
    const value: unknown = location[part]
    if (typeof value !== 'string' || !SEGMENT.test(value) || value === '.' || value === '..') {
      throw new FreshetError(
        'INVALID_OPTION',
        `storeDirectory: "${part}" must be one path segment of letters, digits, ".", "_" or "-", got ${JSON.stringify(value)}`,
        { details: { option: part } },
      )
    }
  }
  if (typeof location.stateDir !== 'string' || location.stateDir.length === 0) {
    throw new FreshetError('INVALID_OPTION', 'storeDirectory: "stateDir" must be a non-empty path', {
      details: { option: 'stateDir' },
    })
  }
  return join(location.stateDir, location.applicationId, location.taskId, location.storeName)
}
