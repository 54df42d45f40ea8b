/**
 * Flink's `raw` format: the table's one physical column is the whole record value. freshet runs it
 * for character and binary columns: CHAR, VARCHAR and STRING as text in `raw.charset`, BINARY,
 * VARBINARY and BYTES as the bytes themselves. A null value (a tombstone) is a null column, and a
 * null column writes a tombstone, as in Flink. Numeric columns (big- or little-endian bytes in
 * Flink) are FRESHET_SQL_UNSUPPORTED where the table is planned.
 */
import type { RowField } from '../ast.ts'
import type { RawFormat } from '../catalog/index.ts'
import type { Deserializer, Serializer } from '../../serde/index.ts'

/** Whether freshet reads and writes `field` in the raw format: a character or binary column. */
export function isRawColumn(field: RowField): boolean {
  const kind = field.type.kind
  return kind === 'CHAR' || kind === 'VARCHAR' || kind === 'BINARY' || kind === 'VARBINARY'
}

/** The column's name, and the encoding of its text (undefined for a binary column). */
function rawCodec(field: RowField, format: RawFormat): { name: string; text: BufferEncoding | undefined } {
  const binary = field.type.kind === 'BINARY' || field.type.kind === 'VARBINARY'
  return { name: field.name, text: binary ? undefined : format.encoding }
}

export class RawDeserializer implements Deserializer<unknown> {
  readonly #name: string
  readonly #text: BufferEncoding | undefined

  constructor(field: RowField, format: RawFormat) {
    ;({ name: this.#name, text: this.#text } = rawCodec(field, format))
  }

  deserialize(buf: Buffer | null | undefined): Promise<unknown> {
    return Promise.resolve(this.deserializeSync(buf))
  }

  deserializeSync(buf: Buffer | null | undefined): unknown {
    const value = buf == null ? null : this.#text === undefined ? Buffer.from(buf) : buf.toString(this.#text)
    return { [this.#name]: value }
  }

  prepare(): Promise<void> {
    return Promise.resolve()
  }
}

export class RawSerializer implements Serializer<unknown> {
  readonly #name: string
  readonly #text: BufferEncoding | undefined

  constructor(field: RowField, format: RawFormat) {
    ;({ name: this.#name, text: this.#text } = rawCodec(field, format))
  }

  init(): Promise<void> {
    return Promise.resolve()
  }

  /** The column's bytes; a null column is a record without a value (`null`, a tombstone). */
  serialize(row: unknown): Buffer {
    const value = (row as Record<string, unknown>)[this.#name]
    if (value === null || value === undefined) return null as unknown as Buffer
    return this.#text === undefined
      ? Buffer.from(value as Uint8Array)
      : Buffer.from(value as string, this.#text)
  }
}
