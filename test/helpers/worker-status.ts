import type { WorkerStatus } from '../../src/runtime/index.ts'

/** The status of a running worker with no tasks and nothing counted yet, but for `overrides`. */
export function workerStatus(overrides: Partial<WorkerStatus> = {}): WorkerStatus {
  return {
    workerId: 'w',
    state: 'RUNNING',
    waiting: undefined,
    failure: undefined,
    resumes: 0,
    generationId: 1,
    tasks: [],
    commits: 0,
    aborts: 0,
    rebalances: 0,
    totals: { recordsIn: 0, recordsOut: 0, recordsSkipped: 0, recordsDeadLettered: 0, recordsLate: 0 },
    badRecords: {},
    topics: [],
    ...overrides,
  }
}
