/**
 * The registry's state as a pure, deterministic function of the `_schemas` log: every instance
 * that applies the same records in the same order holds the same subjects, versions, ids, config
 * and mode. Nothing here does I/O.
 *
 * Apply rules for SCHEMA records, which are the ones concurrent writers can race on:
 *   - A record for a new (subject, version) is accepted unless its id already names a different
 *     schema (two writers picked the same next id): then it is ignored.
 *   - A record for an existing (subject, version) is accepted only when it carries the same id
 *     and schema (a soft delete, or the same registration written twice); a different schema at
 *     the same version (two writers picked the same next version) is ignored.
 *   - A tombstone removes a soft-deleted version; a tombstone for a live version is ignored.
 *   In short, the first record wins and later conflicting ones are ignored on every instance.
 *
 * Compaction keeps only the last record per key, so an ignored record must not stay the last one
 * for its key: the state remembers such keys (`repairs()`), and the next writer appends the
 * winning value (or a tombstone) for them before its own records.
 *
 * CONFIG and MODE records are last-writer-wins and never conflict.
 */
import { canonicalOrRaw } from './schema.ts'
import {
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  type CompatibilityLevel,
  type Mode,
  type RegistryRecord,
  type SchemaVersion,
} from './types.ts'

export type ApplyOutcome = 'accepted' | 'ignored'

interface StoredVersion extends SchemaVersion {
  /** Schema type and canonical text: two versions with the same identity hold the same schema. */
  identity: string
}

interface IdEntry {
  schema: string
  schemaType: string | undefined
  identity: string
  /** The versions using this id; the id is forgotten when the last one is permanently deleted. */
  users: Set<StoredVersion>
}

function identityOf(schema: string, schemaType: string | undefined): string {
  return `${schemaType ?? 'AVRO'}\u0000${canonicalOrRaw(schema)}`
}

function repairKey(subject: string, version: number): string {
  return `${version}\u0000${subject}`
}

function toPublic(v: StoredVersion): SchemaVersion {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    schema: v.schema,
    ...(v.schemaType === undefined ? {} : { schemaType: v.schemaType }),
    deleted: v.deleted,
  }
}

export class RegistryState {
  readonly #subjects = new Map<string, Map<number, StoredVersion>>()
  readonly #ids = new Map<number, IdEntry>()
  readonly #idsByIdentity = new Map<string, Set<number>>()
  #maxId = 0
  #globalCompatibility: CompatibilityLevel | undefined
  readonly #subjectCompatibility = new Map<string, CompatibilityLevel>()
  #globalMode: Mode | undefined
  readonly #subjectMode = new Map<string, Mode>()
  readonly #repairs = new Map<string, { subject: string; version: number }>()

  apply(record: RegistryRecord): ApplyOutcome {
    switch (record.kind) {
      case 'schema':
        return this.#applySchema(record)
      case 'config':
        if (record.subject === null) this.#globalCompatibility = record.compatibility ?? undefined
        else if (record.compatibility === null) this.#subjectCompatibility.delete(record.subject)
        else this.#subjectCompatibility.set(record.subject, record.compatibility)
        return 'accepted'
      case 'mode':
        if (record.subject === null) this.#globalMode = record.mode ?? undefined
        else if (record.mode === null) this.#subjectMode.delete(record.subject)
        else this.#subjectMode.set(record.subject, record.mode)
        return 'accepted'
      case 'delete-subject':
        if (record.version !== null) {
          for (const v of this.#subjects.get(record.subject)?.values() ?? []) {
            if (v.version <= record.version) v.deleted = true
          }
        }
        return 'accepted'
      case 'clear-subject':
        if (record.version !== null) {
          for (const v of [...(this.#subjects.get(record.subject)?.values() ?? [])]) {
            if (v.version <= record.version && v.deleted) this.#remove(v)
          }
        }
        return 'accepted'
    }
  }

  #applySchema(record: Extract<RegistryRecord, { kind: 'schema' }>): ApplyOutcome {
    const { subject, version, value } = record
    const key = repairKey(subject, version)
    const existing = this.#subjects.get(subject)?.get(version)
    if (value === null) {
      if (existing !== undefined && !existing.deleted) return this.#ignore(subject, version)
      if (existing !== undefined) this.#remove(existing)
      this.#repairs.delete(key)
      return 'accepted'
    }
    const identity = identityOf(value.schema, value.schemaType)
    if (existing !== undefined) {
      if (existing.id !== value.id || existing.identity !== identity) return this.#ignore(subject, version)
      existing.deleted = value.deleted
      this.#repairs.delete(key)
      return 'accepted'
    }
    const owner = this.#ids.get(value.id)
    if (owner !== undefined && owner.identity !== identity) return this.#ignore(subject, version)

    const stored: StoredVersion = {
      subject,
      version,
      id: value.id,
      schema: value.schema,
      ...(value.schemaType === undefined ? {} : { schemaType: value.schemaType }),
      deleted: value.deleted,
      identity,
    }
    let versions = this.#subjects.get(subject)
    if (versions === undefined) {
      versions = new Map()
      this.#subjects.set(subject, versions)
    }
    versions.set(version, stored)
    if (owner !== undefined) {
      owner.users.add(stored)
    } else {
      this.#ids.set(value.id, {
        schema: value.schema,
        schemaType: value.schemaType,
        identity,
        users: new Set([stored]),
      })
      let ids = this.#idsByIdentity.get(identity)
      if (ids === undefined) {
        ids = new Set()
        this.#idsByIdentity.set(identity, ids)
      }
      ids.add(value.id)
    }
    if (value.id > this.#maxId) this.#maxId = value.id
    this.#repairs.delete(key)
    return 'accepted'
  }

  #ignore(subject: string, version: number): ApplyOutcome {
    this.#repairs.set(repairKey(subject, version), { subject, version })
    return 'ignored'
  }

  #remove(v: StoredVersion): void {
    const versions = this.#subjects.get(v.subject)
    versions?.delete(v.version)
    if (versions !== undefined && versions.size === 0) this.#subjects.delete(v.subject)
    const entry = this.#ids.get(v.id)
    if (entry === undefined) return
    entry.users.delete(v)
    if (entry.users.size > 0) return
    this.#ids.delete(v.id)
    const ids = this.#idsByIdentity.get(entry.identity)
    ids?.delete(v.id)
    if (ids !== undefined && ids.size === 0) this.#idsByIdentity.delete(entry.identity)
  }

  /**
   * Records that make the last record of every key the one the state reflects: the current value
   * of a version whose last record was ignored, or a tombstone when no such version exists.
   */
  repairs(): RegistryRecord[] {
    return [...this.#repairs.values()].map(({ subject, version }) => {
      const v = this.#subjects.get(subject)?.get(version)
      return {
        kind: 'schema',
        subject,
        version,
        value:
          v === undefined
            ? null
            : {
                id: v.id,
                schema: v.schema,
                ...(v.schemaType === undefined ? {} : { schemaType: v.schemaType }),
                deleted: v.deleted,
              },
      }
    })
  }

  // Queries

  /** Subjects with at least one live version (or any version with `includeDeleted`), sorted. */
  subjects(includeDeleted = false): string[] {
    const out: string[] = []
    for (const [subject, versions] of this.#subjects) {
      if (includeDeleted || [...versions.values()].some((v) => !v.deleted)) out.push(subject)
    }
    return out.sort()
  }

  /** Distinct schema ids. */
  get schemaCount(): number {
    return this.#ids.size
  }

  /** Whether the subject has any version, live or soft-deleted. */
  hasAnyVersion(subject: string): boolean {
    return this.#subjects.has(subject)
  }

  /** The subject's versions, oldest first. */
  versions(subject: string, includeDeleted = false): SchemaVersion[] {
    const versions = this.#subjects.get(subject)
    if (versions === undefined) return []
    return [...versions.values()]
      .filter((v) => includeDeleted || !v.deleted)
      .sort((a, b) => a.version - b.version)
      .map(toPublic)
  }

  version(subject: string, version: number, includeDeleted = false): SchemaVersion | undefined {
    const v = this.#subjects.get(subject)?.get(version)
    return v === undefined || (v.deleted && !includeDeleted) ? undefined : toPublic(v)
  }

  latest(subject: string, includeDeleted = false): SchemaVersion | undefined {
    return this.versions(subject, includeDeleted).at(-1)
  }

  /** The version number the next registration under `subject` gets (soft-deleted ones count). */
  nextVersion(subject: string): number {
    let max = 0
    for (const v of this.#subjects.get(subject)?.keys() ?? []) if (v > max) max = v
    return max + 1
  }

  /** The id the next new schema gets: above every id this log has carried. */
  nextId(): number {
    return this.#maxId + 1
  }

  schemaById(id: number): { schema: string; schemaType?: string } | undefined {
    const entry = this.#ids.get(id)
    if (entry === undefined) return undefined
    return {
      schema: entry.schema,
      ...(entry.schemaType === undefined ? {} : { schemaType: entry.schemaType }),
    }
  }

  /** The id already given to this schema anywhere in the registry (the lowest, if several). */
  idOf(canonical: string, schemaType?: string): number | undefined {
    const ids = this.#idsByIdentity.get(`${schemaType ?? 'AVRO'}\u0000${canonical}`)
    if (ids === undefined || ids.size === 0) return undefined
    return Math.min(...ids)
  }

  /** The newest version of `subject` holding this schema. */
  findInSubject(
    subject: string,
    canonical: string,
    includeDeleted = false,
    schemaType?: string,
  ): SchemaVersion | undefined {
    const identity = `${schemaType ?? 'AVRO'}\u0000${canonical}`
    let found: StoredVersion | undefined
    for (const v of this.#subjects.get(subject)?.values() ?? []) {
      if (v.identity !== identity || (v.deleted && !includeDeleted)) continue
      if (found === undefined || v.version > found.version) found = v
    }
    return found === undefined ? undefined : toPublic(found)
  }

  /** Subject and version pairs using an id, sorted. */
  usesOf(id: number, includeDeleted = false): Array<{ subject: string; version: number }> {
    const entry = this.#ids.get(id)
    if (entry === undefined) return []
    return [...entry.users]
      .filter((v) => includeDeleted || !v.deleted)
      .map((v) => ({ subject: v.subject, version: v.version }))
      .sort((a, b) => (a.subject === b.subject ? a.version - b.version : a.subject < b.subject ? -1 : 1))
  }

  /** The compatibility level set on the subject itself, if any. */
  subjectCompatibility(subject: string): CompatibilityLevel | undefined {
    return this.#subjectCompatibility.get(subject)
  }

  globalCompatibility(): CompatibilityLevel {
    return this.#globalCompatibility ?? DEFAULT_COMPATIBILITY
  }

  /** The level that governs registrations under `subject`. */
  compatibility(subject: string): CompatibilityLevel {
    return this.#subjectCompatibility.get(subject) ?? this.globalCompatibility()
  }

  subjectMode(subject: string): Mode | undefined {
    return this.#subjectMode.get(subject)
  }

  globalMode(): Mode {
    return this.#globalMode ?? DEFAULT_MODE
  }

  mode(subject: string): Mode {
    return this.#subjectMode.get(subject) ?? this.globalMode()
  }
}
