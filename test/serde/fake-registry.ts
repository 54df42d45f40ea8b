/**
 * An in-memory SchemaRegistryClient for the serde's unit tests: ids are global per schema text as
 * in Confluent's registry, every call is counted, and the registry can be made unreachable.
 */
import { FreshetError } from '../../src/errors/index.ts'
import type { SchemaRegistryClient } from '../../src/serde/index.ts'

export class FakeRegistry implements SchemaRegistryClient {
  readonly getCalls: number[] = []
  readonly registerCalls: { subject: string; schema: string }[] = []
  /** While true every call fails with FRESHET_REGISTRY_UNREACHABLE. */
  unreachable = false
  private readonly byId = new Map<number, string>()
  private readonly byText = new Map<string, number>()
  private nextId: number

  constructor(firstId = 1) {
    this.nextId = firstId
  }

  async getSchemaById(id: number): Promise<string> {
    this.getCalls.push(id)
    await new Promise((resolve) => setImmediate(resolve))
    if (this.unreachable) throw new FreshetError('REGISTRY_UNREACHABLE', 'fake registry is down')
    const schema = this.byId.get(id)
    if (schema === undefined) {
      throw new FreshetError('SCHEMA_NOT_FOUND', `schema ${id} not found`, { details: { schemaId: id } })
    }
    return schema
  }

  async register(subject: string, schema: string): Promise<number> {
    this.registerCalls.push({ subject, schema })
    await new Promise((resolve) => setImmediate(resolve))
    if (this.unreachable) throw new FreshetError('REGISTRY_UNREACHABLE', 'fake registry is down')
    return this.add(schema)
  }

  /** Stores a schema without counting a call (test setup). */
  add(schema: string | object): number {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema)
    const known = this.byText.get(text)
    if (known !== undefined) return known
    const id = this.nextId++
    this.byId.set(id, text)
    this.byText.set(text, id)
    return id
  }
}
