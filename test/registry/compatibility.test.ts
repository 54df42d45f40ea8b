import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import avro from 'avsc'
import { checkCompatibility, resolutionProblems } from '../../src/registry/compatibility.ts'
import type { CompatibilityLevel } from '../../src/registry/types.ts'

type AvroSchema = Parameters<typeof avro.Type.forSchema>[0]

const type = (schema: unknown): avro.Type => avro.Type.forSchema(schema as AvroSchema)
const record = (fields: unknown[], name = 'R', extra: Record<string, unknown> = {}): unknown => ({
  type: 'record',
  name,
  fields,
  ...extra,
})

/** avsc's own resolver: the Avro resolution rules as another implementation reads them. */
function avscCanRead(reader: unknown, writer: unknown): boolean {
  try {
    type(reader).createResolver(type(writer))
    return true
  } catch {
    return false
  }
}

/** The canonical cases: can a reader with `reader` read data written with `writer`? */
const CASES: Array<{ name: string; reader: unknown; writer: unknown; readable: boolean }> = [
  {
    name: 'a reader field without default that the writer lacks',
    reader: record([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
    ]),
    writer: record([{ name: 'a', type: 'int' }]),
    readable: false,
  },
  {
    name: 'a reader field with a default that the writer lacks',
    reader: record([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string', default: 'x' },
    ]),
    writer: record([{ name: 'a', type: 'int' }]),
    readable: true,
  },
  {
    name: 'a writer field the reader lacks (a removed field)',
    reader: record([{ name: 'a', type: 'int' }]),
    writer: record([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
    ]),
    readable: true,
  },
  { name: 'int promoted to long', reader: 'long', writer: 'int', readable: true },
  { name: 'long narrowed to int', reader: 'int', writer: 'long', readable: false },
  { name: 'int promoted to double', reader: 'double', writer: 'int', readable: true },
  { name: 'float promoted to double', reader: 'double', writer: 'float', readable: true },
  { name: 'double narrowed to float', reader: 'float', writer: 'double', readable: false },
  { name: 'bytes read as string', reader: 'string', writer: 'bytes', readable: true },
  { name: 'string read as bytes', reader: 'bytes', writer: 'string', readable: true },
  { name: 'int read as string', reader: 'string', writer: 'int', readable: false },
  {
    name: 'an enum symbol the reader lacks',
    reader: { type: 'enum', name: 'E', symbols: ['A'] },
    writer: { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    readable: false,
  },
  {
    name: 'an enum symbol the reader lacks, with a reader default',
    reader: { type: 'enum', name: 'E', symbols: ['A', 'U'], default: 'U' },
    writer: { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    readable: true,
  },
  {
    name: 'an enum symbol the writer lacks',
    reader: { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    writer: { type: 'enum', name: 'E', symbols: ['A'] },
    readable: true,
  },
  {
    name: 'a reader union wider than the writer union',
    reader: ['null', 'int', 'string'],
    writer: ['null', 'int'],
    readable: true,
  },
  {
    name: 'a reader union narrower than the writer union',
    reader: ['null', 'int'],
    writer: ['null', 'int', 'string'],
    readable: false,
  },
  { name: 'a reader union holding the writer type', reader: ['null', 'long'], writer: 'int', readable: true },
  {
    name: 'a reader union without the writer type',
    reader: ['null', 'string'],
    writer: 'int',
    readable: false,
  },
  {
    name: 'a writer union read by a plain reader type',
    reader: 'long',
    writer: ['null', 'int'],
    readable: false,
  },
  {
    name: 'a writer union every branch of which the reader reads',
    reader: 'long',
    writer: ['int', 'long'],
    readable: true,
  },
  {
    name: 'a renamed record without alias',
    reader: record([{ name: 'a', type: 'int' }], 'S'),
    writer: record([{ name: 'a', type: 'int' }], 'R'),
    readable: false,
  },
  {
    name: 'a renamed record with an alias naming the old record',
    reader: record([{ name: 'a', type: 'int' }], 'S', { aliases: ['R'] }),
    writer: record([{ name: 'a', type: 'int' }], 'R'),
    readable: true,
  },
  {
    name: 'a renamed field with an alias naming the old field',
    reader: record([{ name: 'b', type: 'int', aliases: ['a'] }]),
    writer: record([{ name: 'a', type: 'int' }]),
    readable: true,
  },
  {
    name: 'fixed of another size',
    reader: { type: 'fixed', name: 'F', size: 4 },
    writer: { type: 'fixed', name: 'F', size: 5 },
    readable: false,
  },
  {
    name: 'array items promoted',
    reader: { type: 'array', items: 'long' },
    writer: { type: 'array', items: 'int' },
    readable: true,
  },
  {
    name: 'map values narrowed',
    reader: { type: 'map', values: 'int' },
    writer: { type: 'map', values: 'long' },
    readable: false,
  },
  {
    name: 'a nested record gaining a field without default',
    reader: record([
      {
        name: 'n',
        type: record(
          [
            { name: 'x', type: 'int' },
            { name: 'y', type: 'int' },
          ],
          'N',
        ),
      },
    ]),
    writer: record([{ name: 'n', type: record([{ name: 'x', type: 'int' }], 'N') }]),
    readable: false,
  },
  {
    name: 'a field changing type',
    reader: record([{ name: 'a', type: 'string' }]),
    writer: record([{ name: 'a', type: 'int' }]),
    readable: false,
  },
  {
    name: 'a field becoming optional (union with null)',
    reader: record([{ name: 'a', type: ['null', 'int'], default: null }]),
    writer: record([{ name: 'a', type: 'int' }]),
    readable: true,
  },
]

describe('resolutionProblems: the Avro resolution rules', () => {
  for (const c of CASES) {
    test(`${c.name}: ${c.readable ? 'readable' : 'not readable'}`, () => {
      const problems = resolutionProblems(type(c.reader), type(c.writer))
      assert.equal(problems.length === 0, c.readable, JSON.stringify(problems))
      // avsc implements the same rules independently; both must agree on every canonical case.
      assert.equal(avscCanRead(c.reader, c.writer), c.readable, 'avsc disagrees with the expected verdict')
    })
  }

  test('data written with the writer schema decodes with the reader schema whenever judged readable', () => {
    for (const c of CASES.filter((k) => k.readable)) {
      const writer = type(c.writer)
      const reader = type(c.reader)
      const resolver = reader.createResolver(writer)
      for (let i = 0; i < 20; i++) {
        const value: unknown = writer.random()
        const decoded: unknown = reader.fromBuffer(writer.toBuffer(value), resolver)
        assert.ok(reader.isValid(decoded), `${c.name}: decoded value is not valid for the reader`)
      }
    }
  })

  test('records that differ only in namespace match, as the spec compares unqualified names', () => {
    // avsc compares full names here; the Avro specification (and Confluent's Java checker) do not.
    const reader = { type: 'record', name: 'R', namespace: 'a', fields: [{ name: 'x', type: 'int' }] }
    const writer = { type: 'record', name: 'R', namespace: 'b', fields: [{ name: 'x', type: 'int' }] }
    assert.deepEqual(resolutionProblems(type(reader), type(writer)), [])
  })

  test('a recursive schema is judged without looping', () => {
    const list = (extra: unknown[]): unknown => ({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'int' },
        { name: 'next', type: ['null', 'Node'], default: null },
        ...extra,
      ],
    })
    assert.deepEqual(resolutionProblems(type(list([])), type(list([]))), [])
    const problems = resolutionProblems(type(list([{ name: 'tag', type: 'string' }])), type(list([])))
    assert.equal(problems.length, 1)
    assert.equal(problems[0]?.path, 'Node.tag')
  })

  test('every incompatibility is reported with its path, not only the first', () => {
    const problems = resolutionProblems(
      type(
        record([
          { name: 'a', type: 'string' },
          { name: 'b', type: 'int' },
          { name: 'c', type: { type: 'enum', name: 'E', symbols: ['X'] } },
        ]),
      ),
      type(
        record([
          { name: 'a', type: 'int' },
          { name: 'c', type: { type: 'enum', name: 'E', symbols: ['X', 'Y'] } },
        ]),
      ),
    )
    assert.deepEqual(
      problems.map((p) => p.path),
      ['R.a', 'R.b', 'R.c'],
    )
    assert.match(problems[0]?.message ?? '', /string cannot read writer type int/)
    assert.match(problems[1]?.message ?? '', /"b" has no default/)
    assert.match(problems[2]?.message ?? '', /lacks the writer's symbols Y/)
  })
})

describe('checkCompatibility: levels', () => {
  const v1 = type(record([{ name: 'a', type: 'int' }]))
  const withB = type(
    record([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string' },
    ]),
  )
  const withBDefault = type(
    record([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string', default: '' },
    ]),
  )
  const verdict = (level: CompatibilityLevel, candidate: avro.Type, previous: avro.Type[]): boolean =>
    checkCompatibility(
      level,
      candidate,
      previous.map((t, i) => ({ version: i + 1, type: t })),
    ).compatible

  test('adding a field without default: forward compatible only', () => {
    assert.equal(verdict('BACKWARD', withB, [v1]), false)
    assert.equal(verdict('FORWARD', withB, [v1]), true)
    assert.equal(verdict('FULL', withB, [v1]), false)
    assert.equal(verdict('NONE', withB, [v1]), true)
  })

  test('removing a field without default: backward compatible only', () => {
    assert.equal(verdict('BACKWARD', v1, [withB]), true)
    assert.equal(verdict('FORWARD', v1, [withB]), false)
    assert.equal(verdict('FULL', v1, [withB]), false)
  })

  test('adding a field with a default: fully compatible', () => {
    assert.equal(verdict('BACKWARD', withBDefault, [v1]), true)
    assert.equal(verdict('FORWARD', withBDefault, [v1]), true)
    assert.equal(verdict('FULL', withBDefault, [v1]), true)
  })

  test('transitive levels check every previous version, the others the latest only', () => {
    // v1 has a:int, v2 drops it, v3 brings a back as a string: fine against v2, not against v1.
    const history = [v1, type(record([])), type(record([{ name: 'a', type: 'string', default: '' }]))]
    const candidate = history[2] as avro.Type
    assert.equal(verdict('BACKWARD', candidate, history.slice(0, 2)), true)
    assert.equal(verdict('BACKWARD_TRANSITIVE', candidate, history.slice(0, 2)), false)
    assert.equal(verdict('FULL', candidate, history.slice(0, 2)), true)
    assert.equal(verdict('FULL_TRANSITIVE', candidate, history.slice(0, 2)), false)
    assert.equal(verdict('FORWARD_TRANSITIVE', candidate, history.slice(0, 2)), false)
  })

  test('messages name the direction and the version they were found against', () => {
    const result = checkCompatibility('FULL', withB, [{ version: 7, type: v1 }])
    assert.equal(result.compatible, false)
    assert.equal(result.messages.length, 1)
    assert.match(
      result.messages[0] ?? '',
      /^BACKWARD \(new schema reading data written with version 7\): at R\.b: /,
    )
  })

  test('no previous version: compatible under any level', () => {
    assert.equal(verdict('FULL_TRANSITIVE', withB, []), true)
  })
})
