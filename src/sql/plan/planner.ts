/**
 * Plans a SQL script onto one freshet pipeline: the tables and views it declares, its SET
 * properties, and every INSERT (alone or in a statement set) as a branch of the pipeline ending in
 * the target table's sink. A table read by several INSERTs is read once (one source node).
 *
 *   1. SET: `pipeline.name` names the application id; `table.local-time-zone` the session zone.
 *      Unknown keys are kept (Flink ignores keys it does not use, so does freshet).
 *   2. CREATE TABLE / CREATE VIEW: into the catalog (checked when defined, planned when used).
 *   3. INSERT: plan the query (query.ts), check it against the target's columns, add the sink.
 *   4. The interactive client's bare SELECT (`collect`): its rows go to a callback instead.
 *   5. The result: the topology plus what the worker needs to read and write the tables' formats
 *      (a deserializer per source topic, the watermark delay, the Kafka cluster).
 */
import type { InsertStatement, QueryStatement, ResetStatement, SetStatement, SqlScript } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { RegistryClient } from '../../registry/index.ts'
import type { SourceGenerator } from '../../runtime/index.ts'
import type { Deserializer, SchemaRegistryClient } from '../../serde/index.ts'
import { pipeline, type Pipeline, type Topology } from '../../stream/index.ts'
import { planQuery, type QueryContext } from './query.ts'
import type { Relation } from './relation.ts'
import { planCollect, planSink, type CollectPlan, type CollectedRow, type SinkPlan } from './sink.ts'
import { planSource, type SourcePlan } from './source.ts'
import { Catalog } from '../catalog/index.ts'

export interface PlanOptions {
  /** The application id when the script sets no `pipeline.name`. */
  readonly defaultApplicationId: string
  /** The application id whatever the script sets (`--application-id`). */
  readonly applicationId?: string | undefined
  /** Session properties given outside the file (`--set key=value`), applied before its SETs. */
  readonly properties?: Readonly<Record<string, string>> | undefined
  /** The registry client for a table's `avro-confluent.url` (tests give an in-memory one). */
  readonly registry?: ((url: string) => SchemaRegistryClient) | undefined
  /**
   * The interactive client: the script ends in one bare SELECT, whose rows (with their column
   * values in order) go to this callback instead of a table. Without it a bare SELECT is refused.
   */
  readonly collect?: ((row: CollectedRow) => void) | undefined
}

export interface PlannedScript {
  readonly applicationId: string
  readonly topology: Topology
  /** The session properties after the file's SET statements. */
  readonly properties: Readonly<Record<string, string>>
  readonly sources: readonly SourcePlan[]
  readonly sinks: readonly SinkPlan[]
  /** Decoders of the source topics, in the tables' formats. */
  readonly deserializers: Readonly<Record<string, Deserializer<unknown>>>
  /** The WATERMARK delay of the sources (the worker's maxOutOfOrdernessMs), when they have one. */
  readonly maxOutOfOrdernessMs: number | undefined
  /** `properties.bootstrap.servers` of the tables. */
  readonly bootstrapServers: string | undefined
  /**
   * Topics of the bounded tables (`'scan.bounded.mode' = 'latest-offset'`): the worker reads them
   * up to the offsets they have when it starts, closes every window at their end and stops.
   */
  readonly boundedTopics: readonly string[]
  /** The generators of the `datagen` tables (the worker's `generators`). */
  readonly generators: readonly SourceGenerator[]
  /** The bare SELECT's columns and changelog kind, with `collect`. */
  readonly result?: CollectPlan | undefined
}

/** `SET 'k' = 'v'` sets a session property, `RESET 'k'` removes it, `RESET` removes them all. */
export function applyProperty(
  properties: Record<string, string>,
  statement: SetStatement | ResetStatement,
): void {
  if (statement.kind === 'set') {
    if (statement.key !== undefined) properties[statement.key] = statement.value ?? ''
  } else if (statement.key === undefined) for (const k of Object.keys(properties)) delete properties[k]
  else delete properties[statement.key]
}

export function planScript(script: SqlScript, options: PlanOptions): PlannedScript {
  const { file } = script
  const properties: Record<string, string> = { ...options.properties }
  const catalog = new Catalog()
  const inserts: InsertStatement[] = []
  let select: QueryStatement | undefined

  // 1-2. Properties and the catalog, in file order.
  for (const { statement } of script.statements) {
    switch (statement.kind) {
      case 'set':
      case 'reset':
        applyProperty(properties, statement)
        break
      case 'create-table':
        catalog.defineTable(statement, file)
        break
      case 'create-view':
        catalog.defineView(statement, file)
        break
      case 'insert':
        inserts.push(statement)
        break
      case 'statement-set':
        inserts.push(...statement.inserts)
        break
      case 'query':
        if (options.collect !== undefined && select === undefined) {
          select = statement
          break
        }
        throw sqlUnsupported(
          file,
          statement.at,
          'a bare SELECT in a job file',
          'write its rows to a table with INSERT INTO, or run it in the interactive `freshet sql`',
        )
      case 'explain':
        throw sqlUnsupported(
          file,
          statement.at,
          'EXPLAIN in a job file',
          'use `freshet sql explain FILE.sql`',
        )
    }
  }
  if (inserts.length === 0 && select === undefined) {
    throw sqlInvalid(file, { line: 1, column: 1 }, 'the file has no INSERT INTO: nothing to run')
  }

  // State is kept until a window closes, and for ever for a regular join or an updating GROUP BY:
  // an idle state retention freshet would not apply is refused rather than ignored.
  const ttl = properties['table.exec.state.ttl']
  if (ttl !== undefined && !/^0\s*(ms|s|min|h|d)?$/i.test(ttl.trim())) {
    const set = script.statements.find(
      (s) => s.statement.kind === 'set' && s.statement.key === 'table.exec.state.ttl',
    )
    throw sqlUnsupported(
      file,
      set?.statement.at ?? { line: 1, column: 1 },
      `SET 'table.exec.state.ttl' = '${ttl}'`,
      "freshet keeps a regular join's rows and an updating GROUP BY's accumulators for ever",
    )
  }
  const applicationId = options.applicationId ?? properties['pipeline.name'] ?? options.defaultApplicationId
  const localTimeZone = properties['table.local-time-zone'] ?? 'UTC'
  const app: Pipeline = pipeline({ applicationId })
  const relations = new Map<string, Relation>()
  const sources: SourcePlan[] = []
  const planning = new Set<string>()
  // Operator names (they name the repartition and changelog topics) are the INSERT's target table
  // and the operator's role: editing one query does not rename another's stores.
  const taken = new Set<string>()
  let prefix = ''
  const unique = (wanted: string): string => {
    // Names become parts of topic names: only [a-zA-Z0-9._-].
    const name = wanted.replace(/[^a-zA-Z0-9._-]/g, '_')
    let free = name
    for (let n = 2; taken.has(free); n++) free = `${name}-${n}`
    taken.add(free)
    return free
  }

  const registries = new Map<string, SchemaRegistryClient>()
  const context: QueryContext = {
    file,
    applicationId,
    registry(url) {
      let client = registries.get(url)
      if (client === undefined) {
        client = options.registry?.(url) ?? new RegistryClient({ url })
        registries.set(url, client)
      }
      return client
    },
    localTimeZone,
    name: (base) => unique(prefix === '' ? base : `${prefix}-${base}`),
    sourceName: (table) => unique(`source-${table}`),
    relationNames: () => catalog.names(),
    relation(name) {
      const known = relations.get(name)
      if (known !== undefined) return known
      const entry = catalog.get(name)
      if (entry === undefined) return undefined
      if (planning.has(name))
        throw sqlInvalid(file, { line: 1, column: 1 }, `view "${name}" refers to itself`)
      planning.add(name)
      let relation: Relation
      if (entry.kind === 'view') relation = planQuery(entry.query, context)
      else {
        const source = planSource(app, entry, context)
        sources.push(source)
        relation = source.relation
      }
      planning.delete(name)
      relations.set(name, relation)
      return relation
    },
  }

  // 3. Every INSERT, as a branch ending in its sink.
  const sinks: SinkPlan[] = []
  for (const insert of inserts) {
    const target = catalog.lookupTable(insert.table, file, insert.at)
    if (insert.overwrite) throw sqlUnsupported(file, insert.at, 'INSERT OVERWRITE')
    if (Object.keys(insert.hints).length > 0) throw sqlUnsupported(file, insert.at, 'OPTIONS hints on INSERT')
    prefix = insert.table
    const relation = planQuery(insert.query, context)
    sinks.push(planSink(relation, target, insert, context))
  }

  // 4. The client's SELECT.
  let result: CollectPlan | undefined
  if (select !== undefined) {
    prefix = 'select'
    result = planCollect(planQuery(select.query, context), context, options.collect!)
  }

  // 5. What the worker needs.
  const delays = new Set(
    sources.flatMap((s) => (s.watermarkDelayMs === undefined ? [] : [s.watermarkDelayMs])),
  )
  if (delays.size > 1) {
    throw sqlUnsupported(
      file,
      sources.find((s) => s.watermarkDelayMs !== undefined)!.table.at,
      'sources with different WATERMARK delays in one job',
      `give them the same delay (here: ${[...delays].join(', ')} ms)`,
    )
  }
  const servers = new Set(
    [...sources.map((s) => s.table), ...sinks.map((s) => s.table)].flatMap((t) =>
      t.connector.kind === 'kafka' || t.connector.kind === 'upsert-kafka'
        ? [t.connector.bootstrapServers]
        : [],
    ),
  )
  if (servers.size > 1) {
    throw sqlUnsupported(file, (inserts[0] ?? select)!.at, 'tables on different Kafka clusters in one job')
  }
  const deserializers: Record<string, Deserializer<unknown>> = {}
  for (const s of sources) if (s.deserializer !== undefined) deserializers[s.topic] = s.deserializer
  return {
    applicationId,
    topology: app.build(),
    properties,
    sources,
    sinks,
    deserializers,
    maxOutOfOrdernessMs: [...delays][0],
    bootstrapServers: [...servers][0],
    boundedTopics: [...new Set(sources.filter((s) => s.bounded).map((s) => s.topic))],
    generators: sources.flatMap((s) => (s.generator === undefined ? [] : [s.generator])),
    ...(result === undefined ? {} : { result }),
  }
}
