export * from './generated/index.ts'
export {
  knownSchemaNames,
  knownSchemas,
  loadSchema,
  readSchemaFile,
  type KnownSchemaName,
  type KnownSchemas,
} from './catalog.ts'
export {
  generateModule,
  runCodegen,
  type CodegenOptions,
  type CodegenResult,
  type GeneratedModule,
} from './codegen.ts'
export type { AvroSchemaJson, JsonValue, TypedSchema, ValueOf } from './types.ts'
