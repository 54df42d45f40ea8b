/**
 * A record source over lines of JSON (a file, or stdin): each line one value, checked against the
 * schema by the serializer (Avro through the registry, or JSON) before anything is sent. The
 * values are plain JSON as the rest of freshet reads and prints them: a union's value unwrapped
 * (`"note": "x"`, not `{"string": "x"}`); Avro `bytes` and `fixed` have no JSON form here.
 *
 * A bad line (not JSON, or not matching the schema) is FRESHET_INPUT_INVALID with its line number
 * and the path of the first field in error. By default it ends the source: the records of the
 * lines before it are returned, the next call rejects, and no later line is sent. With
 * `skipBadLines` it is counted (`bad`), reported to `onBadLine`, and left out.
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { FreshetError, isFreshetError } from '../errors/index.ts'
import type { OutRecord } from '../kafka/index.ts'
import type { Serializer } from '../serde/index.ts'
import type { RecordSource } from './source.ts'

export interface JsonLinesOptions {
  topic: string
  /** UTF-8 text, one JSON value per line; blank lines are ignored. */
  input: Readable
  /** Validates and encodes each value. */
  serializer: Serializer<unknown>
  /** A top-level field whose value, as text, is the record key; no key without it. */
  keyField?: string
  /** Leave bad lines out (counted, reported) instead of ending at the first. */
  skipBadLines?: boolean
  onBadLine?: (error: FreshetError) => void
}

/** Lines buffered ahead of the producer before reading pauses. */
const HIGH_WATER_LINES = 50_000

export class JsonLines implements RecordSource {
  readonly finite = true
  readonly #options: JsonLinesOptions
  readonly #lines: Array<{ number: number; text: string }> = []
  #lineNumber = 0
  #ended = false
  #readError: Error | undefined
  #wake: (() => void) | undefined
  #failure: FreshetError | undefined
  readonly #reader: ReturnType<typeof createInterface>
  /** Non-blank lines taken from the input. */
  read = 0
  /** Lines left out or stopped at: not JSON, or not matching the schema. */
  bad = 0

  constructor(options: JsonLinesOptions) {
    this.#options = options
    this.#reader = createInterface({ input: options.input, crlfDelay: Infinity })
    this.#reader.on('line', (text) => {
      this.#lineNumber++
      if (text.trim() === '') return
      this.#lines.push({ number: this.#lineNumber, text })
      if (this.#lines.length >= HIGH_WATER_LINES) this.#reader.pause()
      this.#notify()
    })
    this.#reader.on('close', () => {
      this.#ended = true
      this.#notify()
    })
    options.input.on('error', (error: Error) => {
      this.#readError = error
      this.#ended = true
      this.#notify()
    })
  }

  init(): Promise<void> {
    return this.#options.serializer.init()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  async next(max: number): Promise<OutRecord[]> {
    if (this.#failure !== undefined) throw this.#failure
    while (this.#lines.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
    if (this.#lines.length === 0 && this.#readError !== undefined) {
      throw new FreshetError('INPUT_INVALID', `cannot read the input: ${this.#readError.message}`, {
        cause: this.#readError,
      })
    }
    const records: OutRecord[] = []
    while (records.length < max && this.#lines.length > 0) {
      const line = this.#lines.shift()!
      this.read++
      try {
        records.push(this.#record(line.number, line.text))
      } catch (error) {
        const e = this.#badLine(line.number, error)
        this.bad++
        if (!this.#options.skipBadLines) {
          this.#failure = e
          this.#lines.length = 0
          this.#reader.close()
          break
        }
        this.#options.onBadLine?.(e)
      }
    }
    if (!this.#ended && this.#lines.length < HIGH_WATER_LINES) this.#reader.resume()
    if (records.length === 0 && this.#failure !== undefined) throw this.#failure
    return records
  }

  /** Stops reading; the input is destroyed unless it is stdin. */
  close(): void {
    this.#reader.close()
    if (this.#options.input !== process.stdin) this.#options.input.destroy()
  }

  #record(lineNumber: number, text: string): OutRecord {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new FreshetError('INPUT_INVALID', `line ${lineNumber} is not JSON: ${(error as Error).message}`, {
        cause: error,
        details: { line: lineNumber },
      })
    }
    const { topic, keyField, serializer } = this.#options
    return {
      topic,
      key: keyField === undefined ? null : keyOf(value, keyField),
      value: serializer.serialize(value),
    }
  }

  /** `error` as FRESHET_INPUT_INVALID naming the line, and the field when the serializer found one. */
  #badLine(lineNumber: number, error: unknown): FreshetError {
    if (isFreshetError(error) && error.code === 'FRESHET_INPUT_INVALID') return error
    const details = (isFreshetError(error) ? error.details : undefined) ?? {}
    const path = typeof details['path'] === 'string' ? details['path'] : undefined
    return new FreshetError('INPUT_INVALID', `line ${lineNumber}: ${(error as Error).message}`, {
      cause: error,
      details: { line: lineNumber, ...(path === undefined ? {} : { path }) },
    })
  }
}

/** The key of a value: the top-level field as text (JSON text for an object); null when the field is null. */
function keyOf(value: unknown, field: string): Buffer | null {
  const v =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)[field]
      : undefined
  if (v === null || v === undefined) return null
  return Buffer.from(typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean))
}
