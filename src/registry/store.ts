/**
 * The registry's operations over its log: reads answer from the state machine after catching up
 * with the log, writes follow the protocol below. Several instances may share one log; they agree
 * because each applies the same records through the same deterministic state machine.
 *
 * Write protocol (writes of one instance run one at a time):
 *   1. Catch up: read the log end offset and wait until the tail has applied every record below
 *      it, so the decision below sees every write acknowledged before this one began. While the
 *      store waits for Kafka (availability.ts) one short attempt is made, and its failure answers
 *      50002 at once instead of after the write timeout.
 *   2. Validate against the state and compute the records: the next id (above every id the log has
 *      carried) and the next version, or an error, or nothing to write (already registered).
 *   3. Append the records, preceded by any repairs the state asks for, to the log (Kafka: the
 *      idempotent producer with acks=all, so an acknowledged record is durable and not duplicated).
 *   4. Wait until this instance's tail has applied the offset of the last record appended.
 *   5. Check that the state shows the records won. A writer on another instance may have taken
 *      the same version or id between steps 1 and 3; the apply rules then ignore the later record
 *      on every instance alike, and this writer starts again from step 1 with the winner in view.
 *
 * Every catch-up, a request's or the tail's own watch (tail.ts), records whether the store reaches
 * the end of its log: the availability that status() and readiness report (availability.ts).
 */
import type { Type } from 'avsc'
import type { FreshetError } from '../errors/index.ts'
import type { AvailabilityChange, RegistryAvailability } from './availability.ts'
import { checkCompatibility, type CompatibilityResult, type PreviousSchema } from './compatibility.ts'
import { RegistryErrorCodes as E, registryError, storeError } from './errors.ts'
import { decodeRecord, encodeRecord } from './records.ts'
import { withDeadline } from './retry.ts'
import { canonicalOrRaw, invalidSchema, parseSchema, type ParsedSchema } from './schema.ts'
import { RegistryState } from './state.ts'
import { LogTail } from './tail.ts'
import {
  COMPATIBILITY_LEVELS,
  MODES,
  type CompatibilityLevel,
  type Mode,
  type RegistryLog,
  type RegistryRecord,
  type SchemaVersion,
} from './types.ts'

export interface StoreOptions {
  /** Longest a write (or a read's catch-up) waits for the log. */
  writeTimeoutMs: number
  /** Attempts of the write protocol before giving up on contention with other writers. */
  maxWriteAttempts?: number
  /** Called once when the store starts waiting for Kafka, and once when it serves again. */
  onAvailabilityChange?: (change: AvailabilityChange) => void
  /** How often a serving store checks that it still reaches the end of its log. */
  checkIntervalMs?: number
  /** First wait between attempts while waiting for Kafka; doubled per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
}

export interface RegisterRequest {
  schema?: unknown
  schemaType?: unknown
  references?: unknown
  /** IMPORT mode only: the id (and optionally the version) the schema had elsewhere. */
  id?: unknown
  version?: unknown
}

/** What a write computed in step 2: the records to append and how to tell that they won. */
interface WritePlan<T> {
  records: RegistryRecord[]
  result: T
  won: (state: RegistryState) => boolean
}

const LATEST = -1
const MAX_VERSION = 2 ** 31 - 1
const PARSED_CACHE_SIZE = 1000
/**
 * Longest a read waits for the tail to reach the log end before answering from what it has: a
 * stalled tail must not stall reads for the whole write timeout.
 */
const READ_CATCH_UP_MS = 5_000

/** Parses a version path segment: a number in [1, 2^31-1], "latest" or -1 (which is latest). */
export function parseVersion(text: string): number {
  if (text === 'latest') return LATEST
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN
  if (n === LATEST || (Number.isInteger(n) && n >= 1 && n <= MAX_VERSION)) return n
  throw registryError(
    E.INVALID_VERSION,
    `The specified version '${text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
  )
}

function subjectNotFound(subject: string): FreshetError {
  return registryError(E.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`)
}

function versionNotFound(subject: string, version: number | string): FreshetError {
  return registryError(E.VERSION_NOT_FOUND, `Version ${version} not found for subject '${subject}'.`)
}

function readOnly(subject: string | null): FreshetError {
  return registryError(
    E.OPERATION_NOT_PERMITTED,
    subject === null ? 'The registry is in read-only mode' : `Subject ${subject} is in read-only mode`,
  )
}

function asCompatibility(value: unknown): CompatibilityLevel {
  const upper = typeof value === 'string' ? value.toUpperCase() : value
  if (!(COMPATIBILITY_LEVELS as readonly unknown[]).includes(upper)) {
    throw registryError(
      E.INVALID_COMPATIBILITY_LEVEL,
      `Invalid compatibility level. Valid values are ${COMPATIBILITY_LEVELS.join(', ')}`,
    )
  }
  return upper as CompatibilityLevel
}

function asMode(value: unknown): Mode {
  const upper = typeof value === 'string' ? value.toUpperCase() : value
  if (!(MODES as readonly unknown[]).includes(upper)) {
    throw registryError(E.INVALID_MODE, `Invalid mode. Valid values are ${MODES.join(', ')}`)
  }
  return upper as Mode
}

function schemaRecord(v: SchemaVersion, deleted: boolean): RegistryRecord {
  return {
    kind: 'schema',
    subject: v.subject,
    version: v.version,
    value: {
      id: v.id,
      schema: v.schema,
      ...(v.schemaType === undefined ? {} : { schemaType: v.schemaType }),
      deleted,
    },
  }
}

export class RegistryStore {
  readonly #log: RegistryLog
  readonly #state = new RegistryState()
  readonly #tail: LogTail
  readonly #writeTimeoutMs: number
  readonly #maxWriteAttempts: number
  #writes: Promise<unknown> = Promise.resolve()
  readonly #parsed = new Map<string, Type>()
  #closed = false

  constructor(log: RegistryLog, options: StoreOptions) {
    this.#log = log
    this.#writeTimeoutMs = options.writeTimeoutMs
    this.#maxWriteAttempts = options.maxWriteAttempts ?? 10
    this.#tail = new LogTail(log, {
      apply: (entry) => {
        const record = decodeRecord(entry.key, entry.value)
        if (record !== undefined) this.#state.apply(record)
      },
      timeoutMs: options.writeTimeoutMs,
      ...(options.onAvailabilityChange === undefined
        ? {}
        : { onAvailabilityChange: options.onAvailabilityChange }),
      ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
      ...(options.maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs: options.maxRetryDelayMs }),
    })
  }

  /** Starts tailing the log and resolves once the state holds everything written before. */
  async start(): Promise<void> {
    await this.#tail.start()
  }

  /** Lets the writes under way finish, then stops the tail and closes the log. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#writes.catch(() => undefined)
    this.#tail.close()
    try {
      await this.#log.close()
    } finally {
      await this.#tail.stopped()
    }
  }

  /** The state as of the last applied record (tests and diagnostics). */
  get state(): RegistryState {
    return this.#state
  }

  /** Whether the store reaches the end of its log; since when and why it waits for Kafka if not. */
  get availability(): RegistryAvailability {
    return this.#tail.availability
  }

  /** Waits until the state reflects every record in the log when called (see LogTail.catchUp). */
  catchUp(timeoutMs = this.#writeTimeoutMs): Promise<void> {
    return this.#tail.catchUp(timeoutMs)
  }

  /**
   * Answers from the state after catching up. While waiting for Kafka, or when the catch-up fails,
   * from the state as it is: reads stay available on what this instance holds.
   */
  async #read<T>(query: (state: RegistryState) => T): Promise<T> {
    if (!this.#tail.waitingForKafka) {
      try {
        await this.catchUp(Math.min(this.#writeTimeoutMs, READ_CATCH_UP_MS))
      } catch {
        // Answered from memory; the catch-up has recorded the outage if it is one.
      }
    }
    return query(this.#state)
  }

  /** Step 1 of a write: a full catch-up, or one short attempt while waiting for Kafka. */
  async #catchUpToWrite(): Promise<void> {
    if (!this.#tail.waitingForKafka) return this.catchUp()
    try {
      await this.catchUp(Math.min(this.#writeTimeoutMs, READ_CATCH_UP_MS))
    } catch {
      throw this.#tail.unavailable()
    }
  }

  /** Runs the write protocol (see the module comment) for a plan computed from the state. */
  #write<T>(plan: (state: RegistryState) => WritePlan<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#closed) throw registryError(E.STORE_ERROR, 'The registry is shutting down')
      for (let attempt = 1; ; attempt++) {
        // Step 1
        await this.#catchUpToWrite()
        const repairs = this.#state.repairs()
        // Step 2
        const planned = plan(this.#state)
        if (planned.records.length === 0 && repairs.length === 0) return planned.result
        // Step 3
        let last: bigint
        try {
          last = await withDeadline(
            this.#log.append([...repairs, ...planned.records].map(encodeRecord)),
            this.#writeTimeoutMs,
            'appending to the registry log',
          )
        } catch (error) {
          this.#tail.suspect()
          throw storeError(error, 'appending to the registry log')
        }
        // Step 4
        try {
          await this.#tail.waitApplied(last + 1n)
        } catch (error) {
          this.#tail.suspect()
          throw error
        }
        // Step 5
        if (planned.won(this.#state)) return planned.result
        if (attempt >= this.#maxWriteAttempts) {
          throw registryError(
            E.STORE_ERROR,
            `Gave up after ${attempt} attempts: other registry instances kept writing the same versions or ids`,
          )
        }
      }
    }
    const result = this.#writes.then(run, run)
    this.#writes = result.catch(() => undefined)
    return result
  }

  #parsedType(schema: string): Type {
    const cached = this.#parsed.get(schema)
    if (cached !== undefined) {
      this.#parsed.delete(schema)
      this.#parsed.set(schema, cached)
      return cached
    }
    const type = parseSchema(schema).type
    this.#parsed.set(schema, type)
    if (this.#parsed.size > PARSED_CACHE_SIZE) this.#parsed.delete(this.#parsed.keys().next().value as string)
    return type
  }

  #judge(level: CompatibilityLevel, candidate: ParsedSchema, previous: SchemaVersion[]): CompatibilityResult {
    if (level === 'NONE' || previous.length === 0) return { compatible: true, messages: [] }
    const foreign = previous.find((v) => v.schemaType !== undefined)
    if (foreign !== undefined) {
      return {
        compatible: false,
        messages: [
          `version ${foreign.version} is a ${foreign.schemaType} schema; an AVRO schema cannot replace it`,
        ],
      }
    }
    const parsed: PreviousSchema[] = previous.map((v) => ({
      version: v.version,
      type: this.#parsedType(v.schema),
    }))
    return checkCompatibility(level, candidate.type, parsed)
  }

  // Subjects and versions

  async subjects(options: { deleted?: boolean; prefix?: string } = {}): Promise<string[]> {
    return this.#read((s) =>
      s.subjects(options.deleted ?? false).filter((name) => name.startsWith(options.prefix ?? '')),
    )
  }

  async versions(subject: string, deleted = false): Promise<number[]> {
    return this.#read((s) => {
      const versions = s.versions(subject, deleted)
      if (versions.length === 0) throw subjectNotFound(subject)
      return versions.map((v) => v.version)
    })
  }

  async version(subject: string, versionText: string, deleted = false): Promise<SchemaVersion> {
    const version = parseVersion(versionText)
    return this.#read((s) => {
      if (s.versions(subject, deleted).length === 0) throw subjectNotFound(subject)
      const found = version === LATEST ? s.latest(subject, deleted) : s.version(subject, version, deleted)
      if (found === undefined) throw versionNotFound(subject, versionText)
      return found
    })
  }

  /** POST /subjects/{subject}: the version of `subject` that holds this schema. */
  async lookup(subject: string, request: RegisterRequest, deleted = false): Promise<SchemaVersion> {
    return this.#read((s) => {
      if (s.versions(subject, deleted).length === 0) throw subjectNotFound(subject)
      const parsed = parseRequestSchema(request)
      const found = s.findInSubject(subject, parsed.canonical, deleted)
      if (found === undefined) throw registryError(E.SCHEMA_NOT_FOUND, 'Schema not found')
      return found
    })
  }

  /** POST /subjects/{subject}/versions: the schema's id, registering a new version if needed. */
  async register(subject: string, request: RegisterRequest): Promise<{ id: number }> {
    const parsed = parseRequestSchema(request)
    const givenId = request.id
    const givenVersion = request.version
    if (givenId !== undefined && (typeof givenId !== 'number' || !Number.isInteger(givenId) || givenId < 1)) {
      throw registryError(E.INVALID_SCHEMA, `Invalid schema id ${JSON.stringify(givenId)}`)
    }
    if (
      givenVersion !== undefined &&
      (typeof givenVersion !== 'number' ||
        !Number.isInteger(givenVersion) ||
        givenVersion < 1 ||
        givenVersion > MAX_VERSION)
    ) {
      throw registryError(E.INVALID_VERSION, `Invalid version ${JSON.stringify(givenVersion)}`)
    }
    return this.#write((s) => {
      const mode = s.mode(subject)
      if (mode === 'READONLY') throw readOnly(subject)
      if (mode === 'IMPORT') {
        if (givenId === undefined) {
          throw registryError(
            E.OPERATION_NOT_PERMITTED,
            `Subject ${subject} is in import mode: a schema id is required`,
          )
        }
        return this.#planImport(s, subject, parsed, givenId as number, givenVersion as number | undefined)
      }
      if (givenId !== undefined || givenVersion !== undefined) {
        throw registryError(
          E.OPERATION_NOT_PERMITTED,
          `Subject ${subject} is not in import mode: schema ids and versions are assigned by the registry`,
        )
      }
      const existing = s.findInSubject(subject, parsed.canonical)
      if (existing !== undefined) return { records: [], result: { id: existing.id }, won: () => true }

      const level = s.compatibility(subject)
      const verdict = this.#judge(level, parsed, s.versions(subject))
      if (!verdict.compatible) {
        throw registryError(
          E.INCOMPATIBLE_SCHEMA,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}" under ${level} compatibility: ${verdict.messages.join('; ')}`,
        )
      }
      const id = s.idOf(parsed.canonical) ?? s.nextId()
      const version = s.nextVersion(subject)
      return {
        records: [
          { kind: 'schema', subject, version, value: { id, schema: parsed.canonical, deleted: false } },
        ],
        result: { id },
        won: (after) => wonVersion(after, subject, version, id, parsed.canonical),
      }
    })
  }

  #planImport(
    s: RegistryState,
    subject: string,
    parsed: ParsedSchema,
    id: number,
    givenVersion: number | undefined,
  ): WritePlan<{ id: number }> {
    const owner = s.schemaById(id)
    if (
      owner !== undefined &&
      (owner.schemaType !== undefined || canonicalOrRaw(owner.schema) !== parsed.canonical)
    ) {
      throw registryError(E.OPERATION_NOT_PERMITTED, `Overwrite new schema with id ${id} is not permitted.`)
    }
    const version = givenVersion ?? s.nextVersion(subject)
    const present = s.version(subject, version, true)
    if (present !== undefined) {
      if (wonVersion(s, subject, version, id, parsed.canonical)) {
        return { records: [], result: { id }, won: () => true }
      }
      throw registryError(
        E.OPERATION_NOT_PERMITTED,
        `Version ${version} of subject ${subject} already holds schema id ${present.id}`,
      )
    }
    return {
      records: [
        { kind: 'schema', subject, version, value: { id, schema: parsed.canonical, deleted: false } },
      ],
      result: { id },
      won: (after) => wonVersion(after, subject, version, id, parsed.canonical),
    }
  }

  /** DELETE /subjects/{subject}/versions/{version}: the deleted version number. */
  async deleteVersion(subject: string, versionText: string, permanent = false): Promise<number> {
    const requested = parseVersion(versionText)
    return this.#write((s) => {
      if (s.mode(subject) === 'READONLY') throw readOnly(subject)
      if (!s.hasAnyVersion(subject)) throw subjectNotFound(subject)
      const target = requested === LATEST ? s.latest(subject, permanent) : s.version(subject, requested, true)
      if (target === undefined) throw versionNotFound(subject, versionText)
      const { version } = target
      if (!permanent) {
        if (target.deleted) {
          throw registryError(
            E.VERSION_SOFT_DELETED,
            `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
          )
        }
        return {
          records: [schemaRecord(target, true)],
          result: version,
          won: (after) => after.version(subject, version, true)?.deleted === true,
        }
      }
      if (!target.deleted) {
        throw registryError(
          E.VERSION_NOT_SOFT_DELETED,
          `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
        )
      }
      return {
        records: [{ kind: 'schema', subject, version, value: null }],
        result: version,
        won: (after) => after.version(subject, version, true) === undefined,
      }
    })
  }

  /**
   * DELETE /subjects/{subject}: the deleted version numbers. A soft delete marks every live version
   * deleted and drops the subject's own compatibility and mode; a permanent one (only after a soft
   * one) removes the versions from the log.
   */
  async deleteSubject(subject: string, permanent = false): Promise<number[]> {
    return this.#write((s) => {
      if (s.mode(subject) === 'READONLY') throw readOnly(subject)
      if (!s.hasAnyVersion(subject)) throw subjectNotFound(subject)
      const live = s.versions(subject)
      const all = s.versions(subject, true)
      const settings: RegistryRecord[] = []
      if (s.subjectCompatibility(subject) !== undefined)
        settings.push({ kind: 'config', subject, compatibility: null })
      if (s.subjectMode(subject) !== undefined) settings.push({ kind: 'mode', subject, mode: null })
      if (!permanent) {
        if (live.length === 0) {
          throw registryError(
            E.SUBJECT_SOFT_DELETED,
            `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
          )
        }
        const last = live.at(-1)?.version ?? 0
        return {
          records: [
            ...live.map((v) => schemaRecord(v, true)),
            { kind: 'delete-subject', subject, version: last },
            ...settings,
          ],
          result: live.map((v) => v.version),
          won: (after) => live.every((v) => after.version(subject, v.version, true)?.deleted === true),
        }
      }
      if (live.length > 0) {
        throw registryError(
          E.SUBJECT_NOT_SOFT_DELETED,
          `Subject '${subject}' was not deleted first before being permanently deleted`,
        )
      }
      return {
        records: [
          ...all.map((v): RegistryRecord => ({ kind: 'schema', subject, version: v.version, value: null })),
          { kind: 'delete-subject', subject, version: null },
          ...settings,
        ],
        result: all.map((v) => v.version),
        won: (after) => all.every((v) => after.version(subject, v.version, true) === undefined),
      }
    })
  }

  // Schemas by id

  async schemaById(id: number): Promise<{ schema: string; schemaType?: string }> {
    return this.#read((s) => {
      const found = s.schemaById(id)
      if (found === undefined) throw registryError(E.SCHEMA_NOT_FOUND, `Schema ${id} not found`)
      return found
    })
  }

  async subjectsOfId(id: number, deleted = false): Promise<string[]> {
    const uses = await this.versionsOfId(id, deleted)
    return [...new Set(uses.map((u) => u.subject))]
  }

  async versionsOfId(id: number, deleted = false): Promise<Array<{ subject: string; version: number }>> {
    return this.#read((s) => {
      if (s.schemaById(id) === undefined) throw registryError(E.SCHEMA_NOT_FOUND, `Schema ${id} not found`)
      return s.usesOf(id, deleted)
    })
  }

  // Compatibility

  /**
   * POST /compatibility/subjects/{subject}/versions[/{version}]: whether `request.schema` could be
   * registered (no version, or latest: judged as registration would judge it) or is compatible
   * with one given version.
   */
  async testCompatibility(
    subject: string,
    versionText: string | undefined,
    request: RegisterRequest,
  ): Promise<CompatibilityResult> {
    const requested = versionText === undefined ? LATEST : parseVersion(versionText)
    const parsed = parseRequestSchema(request)
    return this.#read((s) => {
      const level = s.compatibility(subject)
      const live = s.versions(subject)
      if (requested === LATEST) return this.#judge(level, parsed, live)
      const target = s.version(subject, requested)
      if (target === undefined) throw versionNotFound(subject, requested)
      const single: CompatibilityLevel =
        level === 'NONE' ? 'NONE' : (level.replace('_TRANSITIVE', '') as CompatibilityLevel)
      return this.#judge(single, parsed, [target])
    })
  }

  // Config

  async globalConfig(): Promise<CompatibilityLevel> {
    return this.#read((s) => s.globalCompatibility())
  }

  /** The subject's own level; the global one with `defaultToGlobal`, else 40408 when unset. */
  async subjectConfig(subject: string, defaultToGlobal = false): Promise<CompatibilityLevel> {
    return this.#read((s) => {
      const level = s.subjectCompatibility(subject)
      if (level !== undefined) return level
      if (defaultToGlobal) return s.globalCompatibility()
      throw registryError(
        E.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
        `Subject '${subject}' does not have subject-level compatibility configured`,
      )
    })
  }

  async setConfig(subject: string | null, level: unknown): Promise<CompatibilityLevel> {
    const compatibility = asCompatibility(level)
    return this.#write(() => ({
      records: [{ kind: 'config', subject, compatibility }],
      result: compatibility,
      won: () => true,
    }))
  }

  /** Removes a subject's level (or the global one, back to the default); returns the removed one. */
  async deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.#write((s) => {
      const previous = subject === null ? s.globalCompatibility() : s.subjectCompatibility(subject)
      if (previous === undefined) {
        if (subject !== null && !s.hasAnyVersion(subject)) throw subjectNotFound(subject)
        throw registryError(
          E.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
          `Subject '${subject}' does not have subject-level compatibility configured`,
        )
      }
      return {
        records: [{ kind: 'config', subject, compatibility: null }],
        result: previous,
        won: () => true,
      }
    })
  }

  // Mode

  async globalMode(): Promise<Mode> {
    return this.#read((s) => s.globalMode())
  }

  async subjectMode(subject: string, defaultToGlobal = false): Promise<Mode> {
    return this.#read((s) => {
      const mode = s.subjectMode(subject)
      if (mode !== undefined) return mode
      if (defaultToGlobal) return s.globalMode()
      throw registryError(
        E.SUBJECT_MODE_NOT_CONFIGURED,
        `Subject '${subject}' does not have subject-level mode configured`,
      )
    })
  }

  /** Sets the mode; IMPORT needs an empty registry (or subject) unless `force`. */
  async setMode(subject: string | null, value: unknown, force = false): Promise<Mode> {
    const mode = asMode(value)
    return this.#write((s) => {
      if (mode === 'IMPORT' && !force) {
        const occupied = subject === null ? s.subjects(true).length > 0 : s.hasAnyVersion(subject)
        if (occupied) {
          throw registryError(
            E.OPERATION_NOT_PERMITTED,
            'Cannot import since found existing subjects; set force=true to switch to IMPORT anyway',
          )
        }
      }
      return { records: [{ kind: 'mode', subject, mode }], result: mode, won: () => true }
    })
  }

  async deleteMode(subject: string): Promise<Mode> {
    return this.#write((s) => {
      const previous = s.subjectMode(subject)
      if (previous === undefined) {
        throw registryError(
          E.SUBJECT_MODE_NOT_CONFIGURED,
          `Subject '${subject}' does not have subject-level mode configured`,
        )
      }
      return { records: [{ kind: 'mode', subject, mode: null }], result: previous, won: () => true }
    })
  }
}

/** Whether the state holds this id and schema at this version: the record written won. */
function wonVersion(
  state: RegistryState,
  subject: string,
  version: number,
  id: number,
  canonical: string,
): boolean {
  const v = state.version(subject, version, true)
  return (
    v !== undefined && v.id === id && v.schemaType === undefined && canonicalOrRaw(v.schema) === canonical
  )
}

/** Validates the body of a register, lookup or compatibility request and parses its schema. */
function parseRequestSchema(request: RegisterRequest): ParsedSchema {
  const type = request.schemaType
  if (type !== undefined && type !== null && (typeof type !== 'string' || type.toUpperCase() !== 'AVRO')) {
    throw invalidSchema(
      `Invalid schema: schema type ${String(request.schemaType)} is not supported; this registry accepts AVRO`,
    )
  }
  if (request.references !== undefined && request.references !== null) {
    if (!Array.isArray(request.references)) throw invalidSchema('Invalid schema: references must be a list')
    if (request.references.length > 0)
      throw invalidSchema('Invalid schema: schema references are not supported')
  }
  if (typeof request.schema !== 'string')
    throw invalidSchema('Invalid schema: the request has no "schema" string')
  return parseSchema(request.schema)
}
