import { FreshetError } from '../errors/index.ts'

/**
 * Lifecycle of a task, after Kafka Streams' `Task.State` without the states whose work is done
 * elsewhere here: the worker restores the stores before it creates the task, and the committer
 * commits.
 *
 * - CREATED: the operators are open over the restored stores. `restoreWatermarks` is only allowed
 *   here, before the task has done anything the restored watermark should have governed.
 * - RUNNING: the first `process` or `advanceIdle` moved it here.
 * - CLOSED: closed clean (`closeClean`), its state committed: nothing done since the last
 *   `prepareCommit`.
 * - CLOSED_DIRTY: closed with what it did since the last commit discarded (`closeDirty`), after a
 *   failure or a lost assignment; the stores then close without a flush.
 *
 * `takeOutput`, `prepareCommit` and `watermarkCheckpoint` work in CREATED and RUNNING.
 */
export type TaskState = 'CREATED' | 'RUNNING' | 'CLOSED' | 'CLOSED_DIRTY'

export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  CREATED: ['RUNNING', 'CLOSED', 'CLOSED_DIRTY'],
  RUNNING: ['CLOSED', 'CLOSED_DIRTY'],
  CLOSED: [],
  CLOSED_DIRTY: [],
}

const OPEN: readonly TaskState[] = ['CREATED', 'RUNNING']

/**
 * A task's state machine (`TASK_TRANSITIONS`). A call the state does not allow throws
 * `FRESHET_INVALID_STATE`, which is not retriable, naming the state and the one the call needed.
 */
export class TaskLifecycle {
  readonly #task: string
  #state: TaskState = 'CREATED'

  constructor(task: string) {
    this.#task = task
  }

  get state(): TaskState {
    return this.#state
  }

  /** Moves to `to` for `operation`, or throws naming both states. */
  transition(to: TaskState, operation: string): void {
    this.check(to, operation)
    this.#state = to
  }

  /** Throws naming both states unless `TASK_TRANSITIONS` allows the move to `to`. */
  check(to: TaskState, operation: string): void {
    if (TASK_TRANSITIONS[this.#state].includes(to)) return
    throw new FreshetError(
      'INVALID_STATE',
      `task ${this.#task}: cannot ${operation}: illegal transition ${this.#state} -> ${to}`,
      { details: { task: this.#task, state: this.#state, to, operation } },
    )
  }

  /** Throws unless the state is one of `allowed` (by default, one of the open states). */
  require(operation: string, allowed: readonly TaskState[] = OPEN): void {
    if (allowed.includes(this.#state)) return
    throw new FreshetError(
      'INVALID_STATE',
      `task ${this.#task}: cannot ${operation} in state ${this.#state}, only in ${allowed.join(' or ')}`,
      { details: { task: this.#task, state: this.#state, allowed: [...allowed], operation } },
    )
  }
}
