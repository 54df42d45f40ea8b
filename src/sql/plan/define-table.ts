/**
 * CREATE TABLE to the planner's TableSpec, reading the connector options the planner runs.
 */
import type { CreateTableStatement } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Connector, KafkaConnector, TableSpec, ValueFormat } from './tables.ts'

export function defineTable(statement: CreateTableStatement, file: string): TableSpec {
  const options = statement.options
  const option = (key: string): string | undefined => options[key]
  const required = (key: string): string => {
    const value = option(key)
    if (value === undefined)
      throw sqlInvalid(file, statement.at, `table "${statement.name}": missing required option '${key}'`)
    return value
  }
  if (statement.like !== undefined) throw sqlUnsupported(file, statement.at, 'CREATE TABLE ... LIKE')
  if (statement.asQuery !== undefined) throw sqlUnsupported(file, statement.at, 'CREATE TABLE ... AS SELECT')
  const kind = required('connector')
  let connector: Connector
  switch (kind) {
    case 'kafka':
    case 'upsert-kafka': {
      const valueFormat = option('value.format') ?? option('format')
      if (valueFormat === undefined)
        throw sqlInvalid(file, statement.at, `table "${statement.name}": missing required option 'format'`)
      const kafka: KafkaConnector = {
        kind,
        topic: required('topic'),
        bootstrapServers: required('properties.bootstrap.servers'),
        groupId: option('properties.group.id'),
        value: formatOf(
          valueFormat,
          option('value.format') === undefined ? '' : 'value.',
          options,
          statement,
          file,
        ),
        valueFieldsInclude: option('value.fields-include') === 'EXCEPT_KEY' ? 'EXCEPT_KEY' : 'ALL',
        startupMode: (option('scan.startup.mode') ?? 'group-offsets') as KafkaConnector['startupMode'],
        boundedMode: (option('scan.bounded.mode') ?? 'unbounded') as KafkaConnector['boundedMode'],
        deliveryGuarantee: (option('sink.delivery-guarantee') ??
          'at-least-once') as KafkaConnector['deliveryGuarantee'],
      }
      connector = kafka
      break
    }
    case 'print':
      connector = {
        kind: 'print',
        identifier: option('print-identifier'),
        standardError: option('standard-error') === 'true',
      }
      break
    case 'blackhole':
      connector = { kind: 'blackhole' }
      break
    default:
      throw sqlUnsupported(file, statement.at, `the '${kind}' connector`)
  }
  return {
    name: statement.name,
    columns: statement.columns,
    watermark: statement.watermark,
    primaryKey: statement.primaryKey,
    connector,
    at: statement.at,
  }
}

function formatOf(
  format: string,
  prefix: string,
  options: Readonly<Record<string, string>>,
  statement: CreateTableStatement,
  file: string,
): ValueFormat {
  switch (format) {
    case 'avro-confluent': {
      const url = options[`${prefix}avro-confluent.url`]
      if (url === undefined)
        throw sqlInvalid(
          file,
          statement.at,
          `table "${statement.name}": missing required option '${prefix}avro-confluent.url'`,
        )
      const schema = options[`${prefix}avro-confluent.schema`]
      return {
        format,
        registryUrl: url,
        ...(schema === undefined ? {} : { schema: JSON.parse(schema) as string }),
        subject: options[`${prefix}avro-confluent.subject`],
      }
    }
    case 'json':
    case 'raw':
      return { format }
    default:
      throw sqlUnsupported(file, statement.at, `the '${format}' format`)
  }
}
