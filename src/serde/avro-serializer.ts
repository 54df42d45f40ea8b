import type avro from 'avsc'
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { requireOptions, validateOptions } from '../options/index.ts'
import { firstInvalidPath, parseSchemaInput } from './avro-schema.ts'
import { avroSerializerSpec, DEFAULT_SLAB_BYTES, type AvroSerializerOptions } from './options.ts'
import type { SchemaRegistryClient, Serializer } from './types.ts'
import { checkSchemaId, HEADER_BYTES, writeHeader } from './wire.ts'

/** The TopicNameStrategy subject: `<topic>-value`, or `<topic>-key` for keys. */
export function topicNameSubject(topic: string, isKey = false): string {
  return `${topic}-${isKey ? 'key' : 'value'}`
}

type State = 'created' | 'initializing' | 'ready'

/**
 * Avro values in the Confluent wire format. `init()` registers the schema under the subject once
 * (the registry returns the existing id when it is already there); after that `serialize` is
 * synchronous and does no I/O.
 *
 * Values are encoded straight into a large buffer ("slab") behind the 5-byte header and handed
 * out as views of it, so a record costs one encode and no copy. A slab is never written twice:
 * when it is full a new one is allocated and the old one is freed once no value refers to it.
 * Keeping one serialized value for long therefore keeps its whole slab (1 MiB by default) alive;
 * copy it (`Buffer.from(value)`) if that matters.
 */
export class AvroSerializer<T> implements Serializer<T> {
  readonly subject: string
  readonly topic: string
  private readonly registry: SchemaRegistryClient
  private readonly type: avro.Type
  private readonly schemaText: string
  private readonly slabBytes: number
  private readonly acceptsNull: boolean
  private state: State = 'created'
  private initializing: Promise<void> | undefined
  private id = -1
  private slab: Buffer
  private offset = 0

  constructor(options: AvroSerializerOptions<T>) {
    const o = validateOptions('AvroSerializer', options, avroSerializerSpec<T>())
    requireOptions('AvroSerializer', o, ['registry', 'topic', 'schema'])
    this.registry = o.registry
    this.topic = o.topic
    this.subject = o.subject ?? topicNameSubject(o.topic, o.isKey ?? false)
    const parsed = parseSchemaInput(o.schema, 'AvroSerializer')
    this.type = parsed.type
    this.schemaText = parsed.text
    this.slabBytes = o.slabBytes ?? DEFAULT_SLAB_BYTES
    this.acceptsNull = this.type.isValid(null)
    this.slab = Buffer.allocUnsafe(0)
  }

  /** The registered schema id, once `init()` has resolved. */
  get schemaId(): number | undefined {
    return this.state === 'ready' ? this.id : undefined
  }

  /**
   * Registers the schema (or finds its id). Concurrent calls share one registration; a failed one
   * can be retried. Registry errors pass through unchanged (FRESHET_REGISTRY_UNREACHABLE is
   * retriable).
   */
  init(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve()
    // Cleared in a promise reaction, so never before the assignment, even if register throws at once.
    this.initializing ??= this.register().finally(() => {
      this.initializing = undefined
    })
    return this.initializing
  }

  private async register(): Promise<void> {
    this.state = 'initializing'
    try {
      const id = await this.registry.register(this.subject, this.schemaText)
      checkSchemaId(id)
      this.id = id
      this.state = 'ready'
    } catch (error) {
      this.state = 'created'
      throw toFreshetError(error, 'REGISTRY_ERROR', `cannot register schema under subject ${this.subject}`, {
        topic: this.topic,
        details: { subject: this.subject },
      })
    }
  }

  /**
   * The wire-format bytes of `value`. Throws FRESHET_SERDE_ENCODE_FAILED (with the path of the first
   * offending field) when the value does not match the schema, FRESHET_SERDE_NULL_VALUE for null or
   * undefined unless the schema allows null, and FRESHET_INVALID_STATE before `init()`.
   */
  serialize(value: T): Buffer {
    if (this.state !== 'ready') {
      throw new FreshetError(
        'INVALID_STATE',
        `AvroSerializer for ${this.subject}: serialize() called in state ${this.state}; await init() first`,
        {
          details: { state: this.state, subject: this.subject },
        },
      )
    }
    if (value == null && !this.acceptsNull) {
      throw new FreshetError(
        'SERDE_NULL_VALUE',
        `cannot serialize ${String(value)} for subject ${this.subject}`,
        {
          topic: this.topic,
          details: { subject: this.subject, schemaId: this.id },
        },
      )
    }
    let slab = this.slab
    let start = this.offset
    let end: number
    try {
      end = this.type.encode(value, slab, start + HEADER_BYTES)
      if (end < 0) {
        // avsc wrote nothing past the slab and returned minus the bytes that were missing, so
        // header and value need the rest of the slab plus that many.
        const size = slab.length - start - end
        slab = this.slab = Buffer.allocUnsafe(Math.max(this.slabBytes, size))
        start = 0
        end = this.type.encode(value, slab, HEADER_BYTES)
      }
    } catch (error) {
      throw this.encodeError(value, error)
    }
    writeHeader(slab, start, this.id)
    this.offset = end
    return slab.subarray(start, end)
  }

  private encodeError(value: T, error: unknown): FreshetError {
    const at = firstInvalidPath(this.type, value)
    const reason =
      at === undefined
        ? (error as Error).message
        : `field ${at.path} must be ${at.expected}, got ${at.actual}`
    return new FreshetError(
      'SERDE_ENCODE_FAILED',
      `cannot encode value for subject ${this.subject}: ${reason}`,
      {
        cause: error,
        topic: this.topic,
        details: {
          subject: this.subject,
          schemaId: this.id,
          ...(at === undefined ? {} : { path: at.path, expected: at.expected }),
        },
      },
    )
  }
}
