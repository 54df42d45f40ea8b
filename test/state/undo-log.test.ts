import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UndoLog, type Revertible } from '../../src/state/index.ts'

/** A revertible that writes down what it is asked to take back. */
function recorder(): { target: Revertible; reverted: unknown[][] } {
  const reverted: unknown[][] = []
  return { target: { revert: (...args) => void reverted.push(args) }, reverted }
}

test('UndoLog logs only while a record runs; rollback reverts newest first with what was logged', () => {
  const undo = new UndoLog()
  const { target, reverted } = recorder()
  undo.log(target, 'before')
  assert.equal(undo.recording, false)
  assert.equal(undo.size, 0, 'nothing is logged outside a record')

  undo.begin()
  assert.equal(undo.recording, true)
  undo.log(target, 1, 'a')
  undo.log(target, 2, 'b', null, true)
  undo.log(target, 3)
  assert.equal(undo.size, 3)
  undo.rollback()
  assert.deepEqual(reverted, [
    [3, undefined, undefined, undefined],
    [2, 'b', null, true],
    [1, 'a', undefined, undefined],
  ])
  assert.equal(undo.recording, false, 'a rollback ends the record')
  undo.log(target, 'after')
  assert.equal(undo.size, 0)
})

test('UndoLog forgets a record that went through; the next record starts empty', () => {
  const undo = new UndoLog()
  const { target, reverted } = recorder()
  undo.begin()
  undo.log(target, 'first record')
  undo.end()
  assert.equal(undo.recording, false)
  assert.equal(undo.size, 0)
  undo.log(target, 'between records')
  undo.begin()
  undo.log(target, 'second record')
  undo.rollback()
  assert.deepEqual(reverted, [['second record', undefined, undefined, undefined]])
  // A record left open is forgotten by the next begin.
  undo.begin()
  undo.log(target, 'abandoned')
  undo.begin()
  undo.rollback()
  assert.equal(reverted.length, 1)
})
