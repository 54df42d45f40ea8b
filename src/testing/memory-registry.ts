/**
 * An in-memory schema registry client for tests: give it to an `AvroSerializer` or
 * `AvroDeserializer` instead of a `RegistryClient`. Ids are global per schema text, as in
 * Confluent's registry (the same schema under two subjects has one id); every call is counted; and
 * the registry can be made unreachable, to test what a pipeline does while the real one is down.
 */
import { FreshetError } from '../errors/index.ts'
import type { SchemaRegistryClient } from '../serde/index.ts'

export class MemoryRegistry implements SchemaRegistryClient {
  /** The ids asked for by `getSchemaById`, in order. */
  readonly getCalls: number[] = []
  /** The registrations asked for, in order. */
  readonly registerCalls: { subject: string; schema: string }[] = []
  /** While true every call fails with FRESHET_REGISTRY_UNREACHABLE, as a registry that is down. */
  unreachable = false
  readonly #byId = new Map<number, string>()
  readonly #byText = new Map<string, number>()
  readonly #subjects = new Map<number, Set<string>>()
  #nextId: number

  /** `firstId`: the id the first schema gets (1 by default). */
  constructor(firstId = 1) {
    this.#nextId = firstId
  }

  async getSchemaById(id: number): Promise<string> {
    this.getCalls.push(id)
    // Answers asynchronously, as a registry over the network does.
    await new Promise((resolve) => setImmediate(resolve))
    if (this.unreachable) throw new FreshetError('REGISTRY_UNREACHABLE', 'the in-memory registry is down')
    const schema = this.#byId.get(id)
    if (schema === undefined) {
      throw new FreshetError('SCHEMA_NOT_FOUND', `schema ${id} not found`, { details: { schemaId: id } })
    }
    return schema
  }

  async register(subject: string, schema: string): Promise<number> {
    this.registerCalls.push({ subject, schema })
    await new Promise((resolve) => setImmediate(resolve))
    if (this.unreachable) throw new FreshetError('REGISTRY_UNREACHABLE', 'the in-memory registry is down')
    return this.add(schema, subject)
  }

  async subjectsOf(id: number): Promise<string[]> {
    await new Promise((resolve) => setImmediate(resolve))
    if (this.unreachable) throw new FreshetError('REGISTRY_UNREACHABLE', 'the in-memory registry is down')
    if (!this.#byId.has(id)) {
      throw new FreshetError('SCHEMA_NOT_FOUND', `schema ${id} not found`, { details: { schemaId: id } })
    }
    return [...(this.#subjects.get(id) ?? [])].sort()
  }

  /**
   * Stores a schema (text or parsed JSON) without counting a call, under `subject` when given, and
   * returns its id.
   */
  add(schema: string | object, subject?: string): number {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema)
    let id = this.#byText.get(text)
    if (id === undefined) {
      id = this.#nextId++
      this.#byId.set(id, text)
      this.#byText.set(text, id)
    }
    if (subject !== undefined) this.#subjects.set(id, new Set([...(this.#subjects.get(id) ?? []), subject]))
    return id
  }
}
