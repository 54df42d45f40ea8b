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
  subjectModuleName,
  type CodegenOptions,
  type CodegenSchema,
  type CodegenResult,
  type GeneratedModule,
} from './codegen.ts'
export type { AvroSchemaJson, JsonValue, TypedSchema, ValueOf } from './types.ts'
