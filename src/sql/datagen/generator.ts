/**
 * A `datagen` table as a generated source: its rows (./rows.ts) are written into a topic of the
 * job's own, `<application id>-datagen-<table>`, by the worker that holds that topic's partition
 * (src/runtime/generators.ts), in Flink's JSON format, and read back like any Kafka table. So a
 * generated row is processed with the job's guarantees, survives a restart, and is seen by the
 * dashboard and `freshet status` as the topic's records.
 */
import type { TableDefinition } from '../catalog/index.ts'
import type { DatagenConnector } from '../catalog/index.ts'
import { FLINK_JSON_DEFAULTS, FlinkJsonDeserializer, FlinkJsonSerializer } from '../formats/json.ts'
import type { Deserializer } from '../../serde/index.ts'
import type { SourceGenerator } from '../../runtime/index.ts'
import { datagenRows } from './rows.ts'

export interface GeneratedSource {
  readonly topic: string
  readonly generator: SourceGenerator
  readonly deserializer: Deserializer<unknown>
}

/** The topic a `datagen` table of the application is generated into. */
export function datagenTopic(applicationId: string, table: string): string {
  return `${applicationId}-datagen-${table.replace(/[^a-zA-Z0-9._-]/g, '_')}`
}

export function planDatagen(
  table: TableDefinition,
  connector: DatagenConnector,
  context: { readonly file: string; readonly applicationId: string },
): GeneratedSource {
  const rows = datagenRows(table, connector, context.file)
  const serializer = new FlinkJsonSerializer(table.physicalColumns, FLINK_JSON_DEFAULTS)
  const topic = datagenTopic(context.applicationId, table.name)
  return {
    topic,
    generator: {
      topic,
      rows: rows.rows,
      rowsPerSecond: connector.rowsPerSecond,
      row: (index) => ({ value: serializer.serialize(rows.row(index)) }),
    },
    deserializer: new FlinkJsonDeserializer(table.physicalColumns, FLINK_JSON_DEFAULTS),
  }
}
