/**
 * A .sql file as a freshet job: read, parsed, planned onto one pipeline. `freshet sql run`,
 * `freshet sql explain`, `freshet run FILE.sql` and `freshet describe FILE.sql` all start here.
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { FreshetError } from '../errors/index.ts'
import type { WorkerOptions } from '../runtime/index.ts'
import type { SchemaRegistryClient } from '../serde/index.ts'
import { parseSql } from './parse/index.ts'
import { planScript, type PlannedScript } from './plan/planner.ts'

export interface SqlJobOptions {
  /** Session properties, as `SET 'key' = 'value'` before the file's own statements. */
  readonly properties?: Readonly<Record<string, string>> | undefined
  /** The application id whatever the file sets (`pipeline.name`); by default `sql-<file name>`. */
  readonly applicationId?: string | undefined
  /** The registry client for a table's `avro-confluent.url` (tests give an in-memory one). */
  readonly registry?: ((url: string) => SchemaRegistryClient) | undefined
}

export function isSqlFile(path: string): boolean {
  return path.endsWith('.sql')
}

/** `sql-<name>` for `path/to/name.sql`, with characters Kafka refuses in ids replaced by `-`. */
export function defaultApplicationId(file: string): string {
  return `sql-${basename(file, '.sql').replace(/[^a-zA-Z0-9._-]/g, '-')}`
}

export async function planSqlFile(file: string, options: SqlJobOptions = {}): Promise<PlannedScript> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FreshetError('INVALID_OPTION', `cannot read ${file}: ${(error as Error).message}`, {
      details: { option: 'file' },
    })
  }
  return planSql(text, file, options)
}

/** `planSqlFile` of SQL text; `file` names it in errors and gives the default application id. */
export async function planSql(
  text: string,
  file: string,
  options: SqlJobOptions = {},
): Promise<PlannedScript> {
  const script = await parseSql(text, file)
  return planScript(script, {
    defaultApplicationId: defaultApplicationId(file),
    applicationId: options.applicationId,
    properties: options.properties,
    registry: options.registry,
  })
}

/**
 * What a worker needs to run a planned script besides the topology: its tables' decoders, its
 * WATERMARK delay, its bounded topics and its `datagen` generators.
 */
export function sqlWorkerOptions(
  planned: Pick<PlannedScript, 'deserializers' | 'maxOutOfOrdernessMs' | 'boundedTopics' | 'generators'>,
): Pick<WorkerOptions, 'deserializers' | 'maxOutOfOrdernessMs' | 'boundedTopics' | 'generators'> {
  return {
    deserializers: { ...planned.deserializers },
    ...(planned.maxOutOfOrdernessMs === undefined
      ? {}
      : { maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs }),
    ...(planned.boundedTopics.length === 0 ? {} : { boundedTopics: planned.boundedTopics }),
    ...(planned.generators.length === 0 ? {} : { generators: planned.generators }),
  }
}
