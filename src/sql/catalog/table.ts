/**
 * `CREATE TABLE` -> `TableDefinition`: columns with their positions, the primary key, the
 * watermark, and the connector with its options checked as Flink 2.2 checks them.
 *
 * Flink checks a table's options when a statement first reads or writes it, not at CREATE TABLE;
 * freshet checks everything that holds for both uses here, so a bad table fails at its own
 * statement, and what depends on the use (startup mode companions, exactly-once's transactional id
 * prefix, ...) in `checkSource` / `checkSink` (./usage.ts).
 */
import type { ColumnDefinition, CreateTableStatement, Expr, Position, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { formatType, supportsExplicitCast, withNullable } from '../types/index.ts'
import { readConnector, type ConnectorContext } from './connectors.ts'
import { OptionReader } from './options.ts'
import type {
  ComputedColumn,
  MetadataColumn,
  PhysicalColumn,
  TableColumn,
  TableDefinition,
  WatermarkDefinition,
  WatermarkOptions,
} from './types.ts'

export interface DefineTableOptions {
  /**
   * The type of a computed column's expression over the columns before it, when the caller can
   * tell (the expression compiler); without it a watermark on a computed column is checked later.
   */
  readonly inferType?: ((expr: Expr, columns: readonly TableColumn[]) => SqlType | undefined) | undefined
}

/**
 * Kafka's metadata keys (flink-connector-kafka `KafkaDynamicSource.ReadableMetadata`); a sink
 * writes only `headers` and `timestamp` (other keys need VIRTUAL columns in a table written to).
 */
const KAFKA_METADATA: Readonly<Record<string, { type: SqlType; writable: boolean }>> = {
  topic: { type: { kind: 'VARCHAR', nullable: false }, writable: false },
  partition: { type: { kind: 'INT', nullable: false }, writable: false },
  headers: {
    type: {
      kind: 'MAP',
      key: { kind: 'VARCHAR', nullable: false },
      value: { kind: 'VARBINARY', nullable: true },
      nullable: false,
    },
    writable: true,
  },
  'leader-epoch': { type: { kind: 'INT', nullable: true }, writable: false },
  offset: { type: { kind: 'BIGINT', nullable: false }, writable: false },
  timestamp: { type: { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false }, writable: true },
  'timestamp-type': { type: { kind: 'VARCHAR', nullable: false }, writable: false },
}

/** The metadata a connector offers (key -> type), for METADATA columns. */
export function metadataKeys(
  connector: string | undefined,
): Readonly<Record<string, { type: SqlType; writable: boolean }>> {
  return connector === 'kafka' || connector === 'upsert-kafka' ? KAFKA_METADATA : {}
}

/** Validates and resolves a CREATE TABLE; throws SQL_INVALID / SQL_UNSUPPORTED at its position. */
export function defineTable(
  stmt: CreateTableStatement,
  file: string,
  options: DefineTableOptions = {},
): TableDefinition {
  const fail = (message: string, at: Position = stmt.at): never => {
    throw sqlInvalid(file, at, `table '${stmt.name}': ${message}`)
  }
  const unsupported = (construct: string, hint?: string): never => {
    throw sqlUnsupported(file, stmt.at, construct, hint)
  }
  if (stmt.like !== undefined) unsupported('CREATE TABLE ... LIKE', 'declare the columns and options in full')
  if (stmt.asQuery !== undefined) unsupported('CREATE TABLE ... AS SELECT', 'CREATE TABLE, then INSERT INTO')

  const primaryKey = stmt.primaryKey !== undefined && stmt.primaryKey.length > 0 ? stmt.primaryKey : undefined
  const columns = resolveColumns(stmt, primaryKey, options, fail)
  const physical = columns.filter((c): c is PhysicalColumn => c.kind === 'physical')
  checkPrimaryKey(primaryKey, columns, fail)
  const watermark = resolveWatermark(stmt, columns, fail)
  for (const key of stmt.partitionedBy) {
    if (!columns.some((c) => c.name === key))
      fail(`Partition column '${key}' not defined in the table schema.`)
  }

  const reader = new OptionReader(stmt.options, (m) => fail(m))
  const ctx: ConnectorContext = { table: stmt.name, physical, primaryKey, fail: (m) => fail(m), unsupported }
  const watermarkOptions = readWatermarkOptions(reader)
  const connector = readConnector(reader, ctx)
  checkMetadata(columns, stmt.options.connector, fail)

  return {
    kind: 'table',
    name: stmt.name,
    temporary: stmt.temporary,
    file,
    at: stmt.at,
    columns,
    physicalColumns: physical,
    primaryKey,
    watermark,
    watermarkOptions,
    partitionedBy: stmt.partitionedBy,
    options: stmt.options,
    connector,
  }
}

function resolveColumns(
  stmt: CreateTableStatement,
  primaryKey: readonly string[] | undefined,
  options: DefineTableOptions,
  fail: (message: string, at?: Position) => never,
): TableColumn[] {
  const columns: TableColumn[] = []
  let physicalIndex = 0
  stmt.columns.forEach((column: ColumnDefinition, position) => {
    const earlier = columns.find((c) => c.name === column.name)
    if (earlier !== undefined) {
      // Flink's wording: "A regular Column named 'a' already exists in the table." for two
      // physical columns, the one below when a computed or metadata column is involved.
      const kind = earlier.kind === 'physical' && column.kind === 'physical' ? 'regular Column' : 'column'
      fail(
        `A ${kind} named '${column.name}' already exists in the table (line ${earlier.at.line}).`,
        column.at,
      )
    }
    switch (column.kind) {
      case 'physical': {
        // Flink makes primary key columns NOT NULL.
        const type = primaryKey?.includes(column.name) ? withNullable(column.type, false) : column.type
        const resolved: PhysicalColumn = {
          kind: 'physical',
          name: column.name,
          type,
          position,
          physicalIndex: physicalIndex++,
          comment: column.comment,
          at: column.at,
        }
        columns.push(resolved)
        return
      }
      case 'metadata': {
        const resolved: MetadataColumn = {
          kind: 'metadata',
          name: column.name,
          type: column.type,
          position,
          key: column.key,
          virtual: column.virtual,
          at: column.at,
        }
        columns.push(resolved)
        return
      }
      case 'computed': {
        const resolved: ComputedColumn = {
          kind: 'computed',
          name: column.name,
          expr: column.expr,
          position,
          type: options.inferType?.(column.expr, [...columns]),
          at: column.at,
        }
        columns.push(resolved)
        return
      }
    }
  })
  return columns
}

function checkPrimaryKey(
  primaryKey: readonly string[] | undefined,
  columns: readonly TableColumn[],
  fail: (message: string, at?: Position) => never,
): void {
  if (primaryKey === undefined) return
  for (const key of primaryKey) {
    const column = columns.find((c) => c.name === key)
    if (column === undefined) fail(`Primary key column '${key}' is not defined in the schema.`)
    if (column!.kind !== 'physical') {
      fail(
        `Could not create a PRIMARY KEY with column '${key}'. A PRIMARY KEY constraint must be declared on physical columns.`,
      )
    }
  }
  if (new Set(primaryKey).size !== primaryKey.length) {
    fail(`Could not create a PRIMARY KEY: a column is named twice in (${primaryKey.join(', ')}).`)
  }
}

/** Flink: the rowtime column is TIMESTAMP(p) or TIMESTAMP_LTZ(p) with p from 0 to 3. */
function resolveWatermark(
  stmt: CreateTableStatement,
  columns: readonly TableColumn[],
  fail: (message: string, at?: Position) => never,
): WatermarkDefinition | undefined {
  const watermark = stmt.watermark
  if (watermark === undefined) return undefined
  const column = columns.find((c) => c.name === watermark.column)
  if (column === undefined) {
    return fail(
      `The rowtime attribute field '${watermark.column}' is not defined in the table schema, at line ${watermark.at.line}, column ${watermark.at.column}. Available fields: [${columns.map((c) => `'${c.name}'`).join(', ')}]`,
      watermark.at,
    )
  }
  const type = column.type
  if (type !== undefined) {
    const ok = (type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ') && type.precision <= 3
    if (!ok) {
      fail(
        `Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is ${formatType(type)}`,
        watermark.at,
      )
    }
  }
  return { column: watermark.column, expr: watermark.expr, at: watermark.at }
}

function checkMetadata(
  columns: readonly TableColumn[],
  connector: string | undefined,
  fail: (message: string, at?: Position) => never,
): void {
  const available = metadataKeys(connector)
  for (const column of columns) {
    if (column.kind !== 'metadata') continue
    const meta = available[column.key]
    if (meta === undefined) {
      const keys = Object.keys(available)
      fail(
        keys.length === 0
          ? `Invalid metadata key '${column.key}' in column '${column.name}': the '${connector ?? ''}' connector offers no metadata.`
          : `Invalid metadata key '${column.key}' in column '${column.name}'. The connector supports the following metadata keys for reading:\n${keys.join('\n')}`,
        column.at,
      )
    }
    if (!supportsExplicitCast(meta!.type, column.type)) {
      fail(
        `Invalid data type for metadata column '${column.name}' with metadata key '${column.key}'. The column cannot be declared as '${formatType(column.type)}' because the type must be castable from metadata type '${formatType(meta!.type)}'.`,
        column.at,
      )
    }
  }
}

const EMIT_STRATEGIES = ['on-event', 'on-periodic'] as const

function readWatermarkOptions(reader: OptionReader): WatermarkOptions {
  return {
    emitStrategy: reader.enumOf('scan.watermark.emit.strategy', EMIT_STRATEGIES, 'on-periodic'),
    alignmentGroup: reader.string('scan.watermark.alignment.group'),
    alignmentMaxDriftMs: reader.durationMs('scan.watermark.alignment.max-drift'),
    alignmentUpdateIntervalMs: reader.durationMs('scan.watermark.alignment.update-interval') ?? 1000,
    idleTimeoutMs: reader.durationMs('scan.watermark.idle-timeout'),
  }
}
