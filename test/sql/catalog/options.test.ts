import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseDurationMs } from '../../../src/sql/catalog/index.ts'
import { OptionReader } from '../../../src/sql/catalog/options.ts'

describe('parseDurationMs', () => {
  test("reads Flink's duration syntax", () => {
    // Flink 2.2's TimeUtils.parseDuration(text).toMillis() for each text.
    const cases: Array<[string, number]> = [
      ['5 s', 5000],
      ['5s', 5000],
      ['500 ms', 500],
      ['500', 500],
      ['5 min', 300_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['2 d', 172_800_000],
      ['PT5M', 300_000],
      ['5 sec', 5000],
      ['5 S', 5000],
      [' 5s ', 5000],
      ['3 minutes', 180_000],
      ['1 hours', 3_600_000],
      ['1500 µs', 1],
    ]
    for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text)
  })

  test("refuses what Flink refuses, with Flink's reason", () => {
    assert.match(
      String(parseDurationMs('5 x')),
      /^Time interval unit label 'x' does not match any of the recognized units: DAYS: \(d \| day \| days\)/,
    )
    assert.equal(parseDurationMs(''), 'argument is an empty- or whitespace-only string')
    assert.match(String(parseDurationMs('-1s')), /not a valid ISO-8601 duration format: -1s/)
    assert.match(String(parseDurationMs('1.5s')), /unit label '\.5s'/)
    assert.match(String(parseDurationMs('10 us')), /unit label 'us'/)
  })
})

describe('OptionReader', () => {
  const fail = (message: string): never => {
    throw new Error(message)
  }

  test('lists leftover keys, sorted, with the declared ones', () => {
    const reader = new OptionReader({ connector: 'x', b: '1', a: '2', 'properties.acks': 'all' }, fail)
    reader.declare('known')
    reader.acceptPrefix('properties.')
    assert.deepEqual(reader.unsupported(), ['a', 'b'])
    assert.throws(() => reader.checkUnsupported('x'), {
      message:
        /^Unsupported options found for 'x'\.\n\nUnsupported options:\n\na\nb\n\nSupported options:\n\nconnector\nknown\nproperty-version\n/,
    })
  })

  test('reads values as Flink does', () => {
    const reader = new OptionReader(
      { i: '-7', l: '9007199254740991', b: 'FALSE', e: 'Latest-Offset', list: 'a;b;' },
      fail,
    )
    assert.equal(reader.int('i'), -7)
    assert.equal(reader.long('l'), 9007199254740991)
    assert.equal(reader.boolean('b', true), false)
    assert.equal(reader.enumOf('e', ['earliest-offset', 'latest-offset']), 'latest-offset')
    assert.deepEqual(reader.list('list'), ['a', 'b'])
    assert.equal(reader.int('missing'), undefined)
    assert.throws(() => new OptionReader({ i: '2147483648' }, fail).int('i'), /as an integer/)
  })
})
