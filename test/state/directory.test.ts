import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { storeDirectory } from '../../src/state/index.ts'

test('storeDirectory is <stateDir>/<applicationId>/<taskId>/<storeName>', () => {
  assert.equal(
    storeDirectory({
      stateDir: '/var/lib/freshet',
      applicationId: 'clicks-v2',
      taskId: '0_3',
      storeName: 'counts',
    }),
    '/var/lib/freshet/clicks-v2/0_3/counts',
  )
})

test('storeDirectory refuses names that are not one safe path segment', () => {
  const base = { stateDir: '/s', applicationId: 'app', taskId: '0_1', storeName: 'store' }
  for (const [field, value] of [
    ['applicationId', '../etc'],
    ['taskId', '..'],
    ['storeName', 'a/b'],
    ['storeName', ''],
    ['applicationId', 'spaces here'],
  ] as const) {
    assert.throws(
      () => storeDirectory({ ...base, [field]: value }),
      (error: unknown) =>
        isFreshetError(error, 'FRESHET_INVALID_OPTION') && error.message.includes(`"${field}"`),
      `${field}=${value}`,
    )
  }
  assert.throws(
    () => storeDirectory({ ...base, stateDir: '' }),
    (error: unknown) => isFreshetError(error, 'FRESHET_INVALID_OPTION') && /stateDir/.test(error.message),
  )
})
