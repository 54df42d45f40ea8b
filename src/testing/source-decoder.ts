/**
 * What a worker's Avro source does to a value, for the test driver: the value is encoded with the
 * writer's schema (the source's own, or an older or newer version a test names) and decoded with
 * the source's schema, as a worker reading Confluent-framed Avro through the registry does. A
 * test thus sees what the pipeline will see: defaults filled in for fields the writer lacks,
 * fields the reader lacks dropped, enum defaults, promotions (int to long, ...).
 *
 * A value that does not fit the writer's schema, or a writer's schema the source's cannot read,
 * is the test's setup, not a bad record: both throw.
 */
import type avro from 'avsc'
import { FreshetError } from '../errors/index.ts'
import { resolutionProblems } from '../registry/compatibility.ts'
import type { TypedSchema } from '../schemas/index.ts'
import { firstInvalidPath, parseSchemaInput } from '../serde/avro-schema.ts'
import type { SchemaInput } from '../serde/index.ts'

export class SourceDecoder {
  readonly #reader: avro.Type
  readonly #readerName: string
  /** Parsed writer schemas and their resolvers, by the writer schema's JSON. */
  readonly #writers = new Map<string, { type: avro.Type; resolver: avro.Resolver | undefined }>()

  constructor(schema: TypedSchema<unknown>) {
    this.#reader = parseSchemaInput(schema, 'TestDriver').type
    this.#readerName = schema.name
  }

  /** `value` as the source reads it when a producer wrote it with `writerSchema` (default: the source's). */
  decode(topic: string, value: unknown, writerSchema?: SchemaInput<unknown>): unknown {
    const writer =
      writerSchema === undefined
        ? { type: this.#reader, resolver: undefined }
        : this.#writer(topic, writerSchema)
    if (!writer.type.isValid(value)) {
      const at = firstInvalidPath(writer.type, value)
      throw new FreshetError(
        'SERDE_ENCODE_FAILED',
        `pipe: the value for "${topic}" does not match schema ${writer.type.name ?? writer.type.typeName}` +
          (at === undefined ? '' : `: field ${at.path} must be ${at.expected}, got ${at.actual}`) +
          '; a producer could not have written it',
        { topic, details: at === undefined ? {} : { path: at.path, expected: at.expected } },
      )
    }
    const bytes = writer.type.toBuffer(value)
    return writer.resolver === undefined
      ? this.#reader.fromBuffer(bytes)
      : this.#reader.fromBuffer(bytes, writer.resolver)
  }

  #writer(
    topic: string,
    schema: SchemaInput<unknown>,
  ): { type: avro.Type; resolver: avro.Resolver | undefined } {
    const parsed = parseSchemaInput(schema, 'pipe')
    const id = parsed.text
    let writer = this.#writers.get(id)
    if (writer === undefined) {
      let resolver: avro.Resolver | undefined
      if (!this.#reader.equals(parsed.type)) {
        try {
          resolver = this.#reader.createResolver(parsed.type)
        } catch (error) {
          const [problem] = resolutionProblems(this.#reader, parsed.type)
          throw new FreshetError(
            'SCHEMA_INCOMPATIBLE',
            `pipe: the schema of "${topic}", ${this.#readerName}, cannot read values written with ` +
              `${parsed.name}` +
              (problem === undefined
                ? `: ${(error as Error).message}`
                : `: at ${problem.path}: ${problem.message}`),
            { topic, cause: error, details: problem === undefined ? {} : { path: problem.path } },
          )
        }
      }
      writer = { type: parsed.type, resolver }
      this.#writers.set(id, writer)
    }
    return writer
  }
}
