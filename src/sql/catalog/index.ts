/**
 * The SQL catalog: the tables and views of a file, each table's columns, key, watermark and
 * connector checked against Flink 2.2's rules; and tables generated from the schema registry.
 */
export { Catalog } from './catalog.ts'
export { SUPPORTED_CONNECTORS } from './connectors.ts'
export { nodeEncoding, SUPPORTED_FORMATS } from './formats.ts'
export { parseDurationMs } from './options.ts'
export {
  ddlForTopic,
  registryTables,
  type EventTime,
  type RegistryCatalog,
  type RegistryCatalogClient,
  type RegistryTable,
  type RegistryTableOptions,
} from './registry-tables.ts'
export { defineTable, metadataKeys, type DefineTableOptions } from './table.ts'
export type * from './types.ts'
export { checkSink, checkSource } from './usage.ts'
