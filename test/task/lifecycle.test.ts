import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { TASK_TRANSITIONS, TaskLifecycle, type TaskState } from '../../src/task/index.ts'

const STATES: readonly TaskState[] = ['CREATED', 'RUNNING', 'CLOSED', 'CLOSED_DIRTY']

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      isFreshetError(error, 'FRESHET_INVALID_STATE'),
      `expected FRESHET_INVALID_STATE, got ${String(error)}`,
    )
    assert.equal(error.retriable, false)
    assert.match(error.message, message)
    return true
  })
}

/** A lifecycle moved along the table to `state`. */
function at(state: TaskState): TaskLifecycle {
  const lifecycle = new TaskLifecycle('1_2')
  if (state !== 'CREATED') lifecycle.transition(state, 'test')
  return lifecycle
}

test('TASK_TRANSITIONS: created, running, closed clean or dirty; both closed states are final', () => {
  assert.deepEqual(Object.keys(TASK_TRANSITIONS).sort(), [...STATES].sort())
  assert.deepEqual(TASK_TRANSITIONS, {
    CREATED: ['RUNNING', 'CLOSED', 'CLOSED_DIRTY'],
    RUNNING: ['CLOSED', 'CLOSED_DIRTY'],
    CLOSED: [],
    CLOSED_DIRTY: [],
  })
  for (const [from, targets] of Object.entries(TASK_TRANSITIONS)) {
    for (const to of targets) {
      assert.notEqual(to, from, `${from} lists itself`)
      assert.notEqual(to, 'CREATED', `${from} leads back to CREATED`)
    }
  }
})

test('TaskLifecycle follows the table: allowed moves change the state, others throw naming both states and change nothing', () => {
  assert.equal(new TaskLifecycle('1_2').state, 'CREATED')
  for (const from of STATES) {
    for (const to of STATES) {
      const lifecycle = at(from)
      if (TASK_TRANSITIONS[from].includes(to)) {
        lifecycle.transition(to, 'move')
        assert.equal(lifecycle.state, to)
      } else {
        refused(
          () => lifecycle.transition(to, 'move'),
          new RegExp(`^task 1_2: cannot move: illegal transition ${from} -> ${to}$`),
        )
        refused(() => lifecycle.check(to, 'move'), new RegExp(`${from} -> ${to}`))
        assert.equal(lifecycle.state, from)
      }
    }
  }
})

test('TaskLifecycle.require: open states by default, or the ones given; the message names the state and those', () => {
  at('CREATED').require('takeOutput')
  at('RUNNING').require('takeOutput')
  refused(
    () => at('CLOSED').require('takeOutput'),
    /^task 1_2: cannot takeOutput in state CLOSED, only in CREATED or RUNNING$/,
  )
  refused(
    () => at('CLOSED_DIRTY').require('prepareCommit'),
    /in state CLOSED_DIRTY, only in CREATED or RUNNING/,
  )
  at('CREATED').require('restoreWatermarks', ['CREATED'])
  refused(() => at('RUNNING').require('restoreWatermarks', ['CREATED']), /in state RUNNING, only in CREATED$/)
})
