/**
 * The connectors a table can name: `kafka`, `upsert-kafka` (./kafka.ts), `datagen`
 * (./datagen.ts), `print` and `blackhole`, with Flink's option names, defaults and checks.
 */
import type { FormatContext } from './formats.ts'
import { readDatagen } from './datagen.ts'
import { readKafka, readUpsertKafka } from './kafka.ts'
import type { OptionReader } from './options.ts'
import type { BlackholeConnector, ConnectorDefinition, PhysicalColumn, PrintConnector } from './types.ts'

export const SUPPORTED_CONNECTORS = ['blackhole', 'datagen', 'kafka', 'print', 'upsert-kafka'] as const

/** Connectors Flink 2.2 ships or freshet's Flink installs that freshet does not run. */
const FLINK_ONLY_CONNECTORS = ['dynamic-kafka', 'filesystem', 'legacy-csv']

export interface ConnectorContext extends FormatContext {
  /** The table's name, for Flink's messages. */
  readonly table: string
  readonly physical: readonly PhysicalColumn[]
  readonly primaryKey?: readonly string[] | undefined
}

/** Reads the `connector` option and the connector's options into typed data. */
export function readConnector(reader: OptionReader, ctx: ConnectorContext): ConnectorDefinition {
  const identifier = reader.string('connector')
  if (identifier === undefined) {
    return ctx.fail(
      `Table options do not contain an option key 'connector' for discovering a connector. Supported connectors are: ${SUPPORTED_CONNECTORS.join(', ')}`,
    )
  }
  let connector: ConnectorDefinition
  switch (identifier) {
    case 'kafka':
      connector = readKafka(reader, ctx)
      break
    case 'upsert-kafka':
      connector = readUpsertKafka(reader, ctx)
      break
    case 'datagen':
      connector = readDatagen(reader, ctx)
      break
    case 'print':
      connector = readPrint(reader)
      break
    case 'blackhole':
      connector = { kind: 'blackhole' } satisfies BlackholeConnector
      break
    default:
      if (FLINK_ONLY_CONNECTORS.includes(identifier)) {
        return ctx.unsupported(
          `the '${identifier}' connector`,
          `use one of ${SUPPORTED_CONNECTORS.join(', ')}`,
        )
      }
      return ctx.fail(
        `Cannot discover a connector using option: 'connector'='${identifier}'. ` +
          `Available connectors are: ${[...SUPPORTED_CONNECTORS, ...FLINK_ONLY_CONNECTORS].sort().join(', ')}`,
      )
  }
  reader.checkUnsupported(identifier)
  return connector
}

function readPrint(reader: OptionReader): PrintConnector {
  return {
    kind: 'print',
    printIdentifier: reader.string('print-identifier'),
    standardError: reader.boolean('standard-error', false),
    sinkParallelism: reader.int('sink.parallelism'),
  }
}
