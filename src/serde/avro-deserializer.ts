import type avro from 'avsc'
import { atLocation, FreshetError, toFreshetError, type ErrorLocation } from '../errors/index.ts'
import { validateOptions } from '../options/index.ts'
import { resolutionProblems } from '../registry/compatibility.ts'
import { parseRegistrySchema, parseSchemaInput } from './avro-schema.ts'
import { requireOptions } from '../options/index.ts'
import { avroDeserializerSpec, type AvroDeserializerOptions } from './options.ts'
import type { Deserializer, SchemaRegistryClient } from './types.ts'
import { HEADER_BYTES, readSchemaId } from './wire.ts'

/** What decoding values written with one schema id needs. */
interface WriterEntry {
  /** The type values are read as: the reader schema when given, else the writer's. */
  type: avro.Type
  /** Set when a reader schema differs from the writer's. */
  resolver: ReturnType<avro.Type['createResolver']> | undefined
}

/**
 * Avro values in the Confluent wire format. The writer schema of each id is fetched from the
 * registry once and kept; concurrent requests for one id share a single fetch. With a reader
 * schema, values are resolved into it (schema evolution: fields the writer lacks take their
 * defaults, fields the reader lacks are skipped).
 *
 * Errors: FRESHET_SERDE_NULL_VALUE, _BAD_MAGIC_BYTE, _TRUNCATED and _SCHEMA_MISMATCH for the bytes
 * of one record (never retriable), FRESHET_SCHEMA_NOT_FOUND (permanent) and
 * FRESHET_REGISTRY_UNREACHABLE (retriable) from the registry unchanged, FRESHET_SCHEMA_INCOMPATIBLE
 * when the reader schema cannot read the writer's.
 */
export class AvroDeserializer<T = unknown> implements Deserializer<T> {
  private readonly registry: SchemaRegistryClient
  private readonly reader: avro.Type | undefined
  private readonly readerName: string | undefined
  /** The subject of the topic read (`<topic>-value`), when the deserializer knows its topic. */
  private readonly subject: string | undefined
  private readonly entries = new Map<number, WriterEntry>()
  private readonly fetching = new Map<number, Promise<WriterEntry>>()
  /** Permanent failures met by `prepare`, so `deserializeSync` can report them per record. */
  private readonly failed = new Map<number, FreshetError>()

  constructor(options: AvroDeserializerOptions<T>) {
    const o = validateOptions('AvroDeserializer', options, avroDeserializerSpec<T>())
    requireOptions('AvroDeserializer', o, ['registry'])
    this.registry = o.registry
    this.subject = o.topic === undefined ? undefined : `${o.topic}-value`
    if (o.readerSchema !== undefined) {
      const parsed = parseSchemaInput(o.readerSchema, 'AvroDeserializer')
      this.reader = parsed.type
      this.readerName = parsed.name
    }
  }

  /**
   * Full name of the schema values written with `schemaId` come out in: the reader schema's when
   * one was given, else the writer's; undefined until the id is loaded.
   */
  schemaName(schemaId: number): string | undefined {
    const type = this.entries.get(schemaId)?.type
    return type === undefined ? undefined : (type.name ?? type.typeName)
  }

  /** Whether the writer schema of `schemaId` is loaded (so `deserializeSync` needs no I/O). */
  has(schemaId: number): boolean {
    return this.entries.has(schemaId)
  }

  async deserialize(buf: Buffer | null | undefined, location: ErrorLocation = {}): Promise<T> {
    const schemaId = readSchemaId(buf, location)
    const entry = this.entries.get(schemaId) ?? (await this.load(schemaId, location))
    return this.decode(entry, buf as Buffer, schemaId, location)
  }

  /**
   * Decodes a value whose writer schema is loaded; throws FRESHET_INVALID_STATE when it is not
   * (call `deserialize` or `prepare` first).
   */
  deserializeSync(buf: Buffer | null | undefined, location: ErrorLocation = {}): T {
    const schemaId = readSchemaId(buf, location)
    const entry = this.entries.get(schemaId)
    if (entry === undefined) {
      const failed = this.failed.get(schemaId)
      if (failed !== undefined) throw atLocation(failed, location)
      throw new FreshetError(
        'INVALID_STATE',
        `writer schema ${schemaId} is not loaded; use deserialize() or prepare()`,
        {
          ...location,
          details: { schemaId },
        },
      )
    }
    return this.decode(entry, buf as Buffer, schemaId, location)
  }

  /**
   * Loads the writer schemas a batch needs, all at once. Values that are not wire format are
   * skipped (they fail in `deserializeSync`). An id the registry does not know is remembered so
   * that its records fail one by one with FRESHET_SCHEMA_NOT_FOUND; a retriable registry error
   * rejects, as the whole batch can be tried again.
   */
  async prepare(buffers: Iterable<Buffer | null | undefined>): Promise<void> {
    const wanted = new Set<number>()
    for (const buf of buffers) {
      if (buf == null || buf.length < HEADER_BYTES || buf[0] !== 0) continue
      const schemaId = buf.readUInt32BE(1)
      if (!this.entries.has(schemaId)) wanted.add(schemaId)
    }
    const results = await Promise.allSettled([...wanted].map((id) => this.load(id, {})))
    let retriable: FreshetError | undefined
    for (const [i, id] of [...wanted].entries()) {
      const result = results[i]
      if (result?.status !== 'rejected') continue
      const error = result.reason as FreshetError
      if (error.retriable) retriable ??= error
      else this.failed.set(id, error)
    }
    if (retriable !== undefined) throw retriable
  }

  /** Fetches and parses the writer schema of `schemaId`, sharing one fetch between callers. */
  private load(schemaId: number, location: ErrorLocation): Promise<WriterEntry> {
    let pending = this.fetching.get(schemaId)
    if (pending === undefined) {
      pending = this.fetch(schemaId, location).finally(() => this.fetching.delete(schemaId))
      this.fetching.set(schemaId, pending)
    }
    return pending
  }

  private async fetch(schemaId: number, location: ErrorLocation): Promise<WriterEntry> {
    let text: string
    try {
      text = await this.registry.getSchemaById(schemaId)
    } catch (error) {
      // The registry's FreshetErrors (SCHEMA_NOT_FOUND, REGISTRY_UNREACHABLE) pass unchanged.
      throw toFreshetError(error, 'REGISTRY_ERROR', `cannot fetch schema ${schemaId}`, {
        ...location,
        details: { schemaId },
      })
    }
    const writer = parseRegistrySchema(text, schemaId)
    let entry: WriterEntry = { type: this.reader ?? writer, resolver: undefined }
    if (this.reader !== undefined && !this.reader.equals(writer)) {
      try {
        entry = { type: this.reader, resolver: this.reader.createResolver(writer) }
      } catch (error) {
        throw await this.incompatible(this.reader, writer, schemaId, location, error)
      }
    }
    this.failed.delete(schemaId)
    this.entries.set(schemaId, entry)
    return entry
  }

  /**
   * FRESHET_SCHEMA_INCOMPATIBLE naming the first place the reader cannot read the writer's schema.
   * When the writer's schema is one of the topic's own (registered under its subject), the reader
   * schema does not fit the topic: every record of that version would fail, so the error is marked
   * a setup mistake (`details.misconfigured`, see `isConfigurationError`). A schema of another
   * subject is a stray record's, left to the bad-record policy.
   */
  private async incompatible(
    reader: avro.Type,
    writer: avro.Type,
    schemaId: number,
    location: ErrorLocation,
    cause: unknown,
  ): Promise<FreshetError> {
    const [problem] = resolutionProblems(reader, writer)
    const why = problem === undefined ? (cause as Error).message : `at ${problem.path}: ${problem.message}`
    let subjects: string[] = []
    if (this.subject !== undefined && this.registry.subjectsOf !== undefined) {
      // Unknown subjects leave the record's fault as the verdict: the registry answered a moment ago.
      subjects = await this.registry.subjectsOf(schemaId).catch(() => [])
    }
    const misconfigured = this.subject !== undefined && subjects.includes(this.subject)
    const message = misconfigured
      ? `reader schema ${this.readerName} cannot read schema ${schemaId}, which is registered under ` +
        `${this.subject} (the topic's own schema): ${why}. Fix the reader schema (a field it adds needs ` +
        'a default) or read the topic with its writer schema'
      : `reader schema ${this.readerName} cannot read values written with schema ${schemaId}` +
        `${subjects.length === 0 ? '' : ` (registered under ${subjects.join(', ')})`}: ${why}`
    return new FreshetError('SCHEMA_INCOMPATIBLE', message, {
      ...location,
      cause,
      details: {
        schemaId,
        readerSchema: this.readerName,
        ...(problem === undefined ? {} : { path: problem.path }),
        ...(misconfigured ? { misconfigured: true, subject: this.subject } : {}),
      },
    })
  }

  private decode(entry: WriterEntry, buf: Buffer, schemaId: number, location: ErrorLocation): T {
    let result: { value: unknown; offset: number }
    try {
      result = entry.type.decode(buf, HEADER_BYTES, entry.resolver)
    } catch (error) {
      throw this.mismatch(
        buf,
        schemaId,
        location,
        `payload does not decode: ${(error as Error).message}`,
        error,
      )
    }
    if (result.offset < 0) {
      throw new FreshetError(
        'SERDE_TRUNCATED',
        `value with schema ${schemaId} ends before its Avro payload does`,
        {
          ...location,
          details: { schemaId, length: buf.length },
        },
      )
    }
    if (result.offset !== buf.length) {
      const trailing = buf.length - result.offset
      throw this.mismatch(buf, schemaId, location, `${trailing} bytes remain after the value`)
    }
    return result.value as T
  }

  private mismatch(
    buf: Buffer,
    schemaId: number,
    location: ErrorLocation,
    reason: string,
    cause?: unknown,
  ): FreshetError {
    return new FreshetError(
      'SERDE_SCHEMA_MISMATCH',
      `value does not match writer schema ${schemaId}: ${reason}`,
      {
        ...location,
        ...(cause === undefined ? {} : { cause }),
        details: { schemaId, length: buf.length },
      },
    )
  }
}
