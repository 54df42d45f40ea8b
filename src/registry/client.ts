/**
 * HTTP client of a Confluent-compatible schema registry (freshet's own or Confluent's). Schemas by
 * id and ids by (subject, schema) never change once assigned, so both are cached; concurrent asks
 * for the same one share a single request.
 */
import { FreshetError } from '../errors/index.ts'
import { errorNameFor } from './errors.ts'
import { resolveRegistryClientOptions, type RegistryClientOptions } from './options.ts'
import type { CompatibilityLevel, Mode } from './types.ts'

/** What the serializers need from a registry. */
export interface SchemaRegistryLike {
  getSchemaById(id: number): Promise<string>
  register(subject: string, schema: string): Promise<number>
}

export interface RegisteredSchema {
  subject: string
  id: number
  version: number
  schema: string
}

export interface CompatibilityCheck {
  compatible: boolean
  /** Why not, when asked with `verbose`. */
  messages: string[]
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const CACHE_LIMIT = 10_000

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as K)
  cache.set(key, value)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export class RegistryClient implements SchemaRegistryLike {
  readonly #baseUrl: string
  readonly #timeoutMs: number
  readonly #schemasById = new Map<number, Promise<string>>()
  readonly #idsBySubjectSchema = new Map<string, Promise<number>>()

  constructor(options: RegistryClientOptions) {
    const resolved = resolveRegistryClientOptions(options)
    this.#baseUrl = resolved.url.replace(/\/+$/, '')
    this.#timeoutMs = resolved.timeoutMs
  }

  get url(): string {
    return this.#baseUrl
  }

  /**
   * One request. Errors: REGISTRY_UNREACHABLE (retriable) for refused connections, timeouts and
   * 5xx answers; SCHEMA_NOT_FOUND for 40403; SCHEMA_INCOMPATIBLE for 409; SCHEMA_INVALID for
   * 42201; REGISTRY_ERROR for every other error answer. `details.errorCode` keeps Confluent's code.
   */
  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.#baseUrl}${path}`
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
      const reason = timedOut
        ? `no answer within ${this.#timeoutMs} ms`
        : String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)
      throw new FreshetError('REGISTRY_UNREACHABLE', `${method} ${url}: registry unreachable (${reason})`, {
        cause: error,
        details: { url },
      })
    }
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      throw new FreshetError('REGISTRY_UNREACHABLE', `${method} ${url}: the answer broke off`, {
        cause: error,
        details: { url },
      })
    }
    let parsed: unknown
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    if (response.ok) return parsed
    const errorCode =
      isObject(parsed) && typeof parsed.error_code === 'number' ? parsed.error_code : response.status
    const message =
      isObject(parsed) && typeof parsed.message === 'string' ? parsed.message : text || response.statusText
    const name = response.status >= 500 ? 'REGISTRY_UNREACHABLE' : errorNameFor(errorCode)
    throw new FreshetError(name, `${method} ${url}: ${message}`, {
      details: { url, status: response.status, errorCode },
    })
  }

  /** The id of `schema` under `subject`, registering it when new. */
  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`
    const cached = this.#idsBySubjectSchema.get(key)
    if (cached !== undefined) return cached
    const pending = this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
    }).then((answer) => {
      if (!isObject(answer) || typeof answer.id !== 'number') throw unexpected('register', answer)
      return answer.id
    })
    remember(this.#idsBySubjectSchema, key, pending)
    pending.catch(() => this.#idsBySubjectSchema.delete(key))
    return pending
  }

  /** The schema text with this id. */
  getSchemaById(id: number): Promise<string> {
    const cached = this.#schemasById.get(id)
    if (cached !== undefined) return cached
    const pending = this.request('GET', `/schemas/ids/${id}`).then((answer) => {
      if (!isObject(answer) || typeof answer.schema !== 'string') throw unexpected('getSchemaById', answer)
      return answer.schema
    })
    remember(this.#schemasById, id, pending)
    pending.catch(() => this.#schemasById.delete(id))
    return pending
  }

  /** The subjects the schema with this id is registered under. */
  async subjectsOf(id: number): Promise<string[]> {
    const answer = await this.request('GET', `/schemas/ids/${id}/subjects`)
    if (!Array.isArray(answer) || !answer.every((s) => typeof s === 'string')) {
      throw unexpected('subjectsOf', answer)
    }
    return answer as string[]
  }

  async getLatest(subject: string): Promise<RegisteredSchema> {
    return this.getVersion(subject, 'latest')
  }

  async getVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const answer = await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`)
    return asRegistered(answer, 'getVersion')
  }

  /** The version of `subject` holding `schema`; SCHEMA_NOT_FOUND when it was never registered there. */
  async lookup(subject: string, schema: string): Promise<RegisteredSchema> {
    const answer = await this.request('POST', `/subjects/${encodeURIComponent(subject)}`, { schema })
    return asRegistered(answer, 'lookup')
  }

  /** Whether `schema` could be registered under `subject` (or is compatible with one version). */
  async checkCompatibility(
    subject: string,
    schema: string,
    options: { version?: number | 'latest'; verbose?: boolean } = {},
  ): Promise<CompatibilityCheck> {
    const version = options.version === undefined ? '' : `/${options.version}`
    const answer = await this.request(
      'POST',
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions${version}${options.verbose ? '?verbose=true' : ''}`,
      { schema },
    )
    if (!isObject(answer) || typeof answer.is_compatible !== 'boolean')
      throw unexpected('checkCompatibility', answer)
    const messages = Array.isArray(answer.messages) ? answer.messages.map(String) : []
    return { compatible: answer.is_compatible, messages }
  }

  async listSubjects(options: { deleted?: boolean } = {}): Promise<string[]> {
    return (await this.request('GET', `/subjects${options.deleted ? '?deleted=true' : ''}`)) as string[]
  }

  async listVersions(subject: string): Promise<number[]> {
    return (await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions`)) as number[]
  }

  /** Deletes a subject (soft; `permanent` after a soft delete); the deleted versions. */
  async deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    const query = options.permanent ? '?permanent=true' : ''
    return (await this.request('DELETE', `/subjects/${encodeURIComponent(subject)}${query}`)) as number[]
  }

  /** The compatibility level of a subject (falling back to the global one), or the global one. */
  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    const path =
      subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`
    const answer = await this.request('GET', path)
    if (!isObject(answer) || typeof answer.compatibilityLevel !== 'string')
      throw unexpected('getCompatibility', answer)
    return answer.compatibilityLevel as CompatibilityLevel
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    await this.request('PUT', path, { compatibility: level })
  }

  async getMode(): Promise<Mode> {
    const answer = await this.request('GET', '/mode')
    if (!isObject(answer) || typeof answer.mode !== 'string') throw unexpected('getMode', answer)
    return answer.mode as Mode
  }

  async setMode(mode: Mode): Promise<void> {
    await this.request('PUT', '/mode', { mode })
  }
}

function unexpected(what: string, answer: unknown): FreshetError {
  return new FreshetError(
    'REGISTRY_ERROR',
    `${what}: unexpected answer from the registry: ${JSON.stringify(answer)}`,
  )
}

function asRegistered(answer: unknown, what: string): RegisteredSchema {
  if (
    !isObject(answer) ||
    typeof answer.subject !== 'string' ||
    typeof answer.id !== 'number' ||
    typeof answer.version !== 'number' ||
    typeof answer.schema !== 'string'
  ) {
    throw unexpected(what, answer)
  }
  return { subject: answer.subject, id: answer.id, version: answer.version, schema: answer.schema }
}
