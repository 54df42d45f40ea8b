import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeRecord, encodeRecord } from '../../src/registry/records.ts'
import type { RegistryRecord } from '../../src/registry/types.ts'

const b = (text: string): Buffer => Buffer.from(text)

describe('registry records in Confluent format', () => {
  test('keys and values are byte-for-byte what Confluent writes', () => {
    const schema = encodeRecord({
      kind: 'schema',
      subject: 'orders-value',
      version: 2,
      value: { id: 7, schema: '"string"', deleted: false },
    })
    assert.equal(schema.key.toString(), '{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}')
    assert.equal(
      schema.value?.toString(),
      '{"subject":"orders-value","version":2,"id":7,"schema":"\\"string\\"","deleted":false}',
    )
    const config = encodeRecord({ kind: 'config', subject: null, compatibility: 'FULL' })
    assert.equal(config.key.toString(), '{"keytype":"CONFIG","subject":null,"magic":0}')
    assert.equal(config.value?.toString(), '{"compatibilityLevel":"FULL"}')
    const mode = encodeRecord({ kind: 'mode', subject: 's', mode: 'READONLY' })
    assert.equal(mode.key.toString(), '{"keytype":"MODE","subject":"s","magic":0}')
    assert.equal(mode.value?.toString(), '{"mode":"READONLY"}')
    const del = encodeRecord({ kind: 'delete-subject', subject: 's', version: 3 })
    assert.equal(del.key.toString(), '{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}')
    assert.equal(del.value?.toString(), '{"subject":"s","version":3}')
  })

  test('every record kind round-trips, tombstones included', () => {
    const records: RegistryRecord[] = [
      { kind: 'schema', subject: 's', version: 1, value: { id: 1, schema: '"int"', deleted: true } },
      {
        kind: 'schema',
        subject: 's',
        version: 1,
        value: { id: 1, schema: 'x', schemaType: 'PROTOBUF', deleted: false },
      },
      { kind: 'schema', subject: 's', version: 1, value: null },
      { kind: 'config', subject: 's', compatibility: 'BACKWARD_TRANSITIVE' },
      { kind: 'config', subject: null, compatibility: null },
      { kind: 'mode', subject: null, mode: 'IMPORT' },
      { kind: 'mode', subject: 's', mode: null },
      { kind: 'delete-subject', subject: 's', version: 4 },
      { kind: 'delete-subject', subject: 's', version: null },
      { kind: 'clear-subject', subject: 's', version: 4 },
    ]
    for (const record of records) {
      const { key, value } = encodeRecord(record)
      assert.deepEqual(decodeRecord(key, value), record)
    }
  })

  test('records Confluent writes with fields in another order decode', () => {
    assert.deepEqual(
      decodeRecord(
        b('{"magic":1,"subject":"s","version":3,"keytype":"SCHEMA"}'),
        b('{"deleted":false,"schema":"\\"long\\"","id":9,"version":3,"subject":"s","schemaType":"AVRO"}'),
      ),
      { kind: 'schema', subject: 's', version: 3, value: { id: 9, schema: '"long"', deleted: false } },
    )
  })

  test('NOOP markers, unknown key types and malformed bytes are skipped', () => {
    assert.equal(decodeRecord(b('{"keytype":"NOOP","magic":0}'), null), undefined)
    assert.equal(decodeRecord(b('{"keytype":"CONTEXT","magic":0}'), b('{}')), undefined)
    assert.equal(decodeRecord(b('not json'), b('{}')), undefined)
    assert.equal(decodeRecord(null, b('{}')), undefined)
    assert.equal(
      decodeRecord(b('{"keytype":"SCHEMA","subject":"s","version":0,"magic":1}'), b('{}')),
      undefined,
    )
    assert.equal(
      decodeRecord(
        b('{"keytype":"CONFIG","subject":null,"magic":0}'),
        b('{"compatibilityLevel":"SOMETIMES"}'),
      ),
      undefined,
    )
    assert.equal(
      decodeRecord(b('{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}'), b('{"id":"1"}')),
      undefined,
    )
  })
})
