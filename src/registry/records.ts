/**
 * The `_schemas` record format, byte-compatible with Confluent Schema Registry's: JSON keys with a
 * `keytype` and `magic`, JSON values, null values as tombstones. Keys are written with a fixed field
 * order because log compaction compares key bytes: the same logical key must always be the same
 * bytes, or compaction would keep superseded records.
 */
import {
  COMPATIBILITY_LEVELS,
  MODES,
  type CompatibilityLevel,
  type LogWrite,
  type Mode,
  type RegistryRecord,
} from './types.ts'

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

/** The key bytes of a record; two records with the same key replace each other under compaction. */
export function encodeKey(record: RegistryRecord): Buffer {
  switch (record.kind) {
    case 'schema':
      return json({ keytype: 'SCHEMA', subject: record.subject, version: record.version, magic: 1 })
    case 'config':
      return json({ keytype: 'CONFIG', subject: record.subject, magic: 0 })
    case 'mode':
      return json({ keytype: 'MODE', subject: record.subject, magic: 0 })
    case 'delete-subject':
      return json({ keytype: 'DELETE_SUBJECT', subject: record.subject, magic: 0 })
    case 'clear-subject':
      return json({ keytype: 'CLEAR_SUBJECT', subject: record.subject, magic: 0 })
  }
}

export function encodeRecord(record: RegistryRecord): LogWrite {
  const key = encodeKey(record)
  switch (record.kind) {
    case 'schema': {
      const v = record.value
      if (v === null) return { key, value: null }
      return {
        key,
        value: json({
          subject: record.subject,
          version: record.version,
          id: v.id,
          ...(v.schemaType === undefined || v.schemaType === 'AVRO' ? {} : { schemaType: v.schemaType }),
          schema: v.schema,
          deleted: v.deleted,
        }),
      }
    }
    case 'config':
      return {
        key,
        value: record.compatibility === null ? null : json({ compatibilityLevel: record.compatibility }),
      }
    case 'mode':
      return { key, value: record.mode === null ? null : json({ mode: record.mode }) }
    case 'delete-subject':
    case 'clear-subject':
      return {
        key,
        value: record.version === null ? null : json({ subject: record.subject, version: record.version }),
      }
  }
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'))
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1
}

/**
 * Decodes a log record; `undefined` for records this registry does not act on (Confluent's NOOP
 * markers, key types of features it lacks, malformed bytes), which the state machine skips.
 */
export function decodeRecord(keyBytes: Buffer | null, valueBytes: Buffer | null): RegistryRecord | undefined {
  if (keyBytes === null) return undefined
  const key = parseObject(keyBytes)
  if (key === undefined) return undefined
  const value = valueBytes === null ? null : parseObject(valueBytes)
  if (value === undefined) return undefined
  const subject = key.subject
  switch (key.keytype) {
    case 'SCHEMA': {
      if (typeof subject !== 'string' || !isVersion(key.version)) return undefined
      if (value === null) return { kind: 'schema', subject, version: key.version, value: null }
      const { id, schema, schemaType, deleted } = value
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || typeof schema !== 'string')
        return undefined
      return {
        kind: 'schema',
        subject,
        version: key.version,
        value: {
          id,
          schema,
          ...(typeof schemaType === 'string' && schemaType !== 'AVRO' ? { schemaType } : {}),
          deleted: deleted === true,
        },
      }
    }
    case 'CONFIG': {
      if (subject !== null && subject !== undefined && typeof subject !== 'string') return undefined
      const level = value?.compatibilityLevel
      if (value !== null && !(COMPATIBILITY_LEVELS as readonly unknown[]).includes(level)) return undefined
      return {
        kind: 'config',
        subject: subject ?? null,
        compatibility: value === null ? null : (level as CompatibilityLevel),
      }
    }
    case 'MODE': {
      if (subject !== null && subject !== undefined && typeof subject !== 'string') return undefined
      const mode = value?.mode
      if (value !== null && !(MODES as readonly unknown[]).includes(mode)) return undefined
      return { kind: 'mode', subject: subject ?? null, mode: value === null ? null : (mode as Mode) }
    }
    case 'DELETE_SUBJECT':
    case 'CLEAR_SUBJECT': {
      if (typeof subject !== 'string') return undefined
      const kind = key.keytype === 'DELETE_SUBJECT' ? 'delete-subject' : 'clear-subject'
      if (value === null) return { kind, subject, version: null }
      if (!isVersion(value.version)) return undefined
      return { kind, subject, version: value.version }
    }
    default:
      return undefined
  }
}
