import type { AvroSchemaJson } from './types.ts'
import { checks, type Spec } from '../options/index.ts'

/** A schema given to codegen as it is, not read from a folder (one fetched from a registry, say). */
export interface CodegenSchema {
  /** The generated module's file name, without `.ts`: snake_case. */
  file: string
  /** Where the schema came from, for the header and the `source` property. */
  source: string
  schema: AvroSchemaJson
}

export interface CodegenOptions {
  /** Folder holding the .avsc files; optional when `schemas` are given. */
  schemasDir?: string
  /** Schemas to generate modules for besides those of `schemasDir`. */
  schemas?: CodegenSchema[]
  /** Folder the generated .ts files go to. */
  outDir: string
  /** Report stale files instead of writing them. */
  check?: boolean
}

export const codegenOptionsSpec: Spec<CodegenOptions> = {
  schemasDir: { check: checks.string() },
  schemas: { check: checks.any<CodegenSchema[]>() },
  outDir: { check: checks.string() },
  check: { check: checks.boolean(), default: false },
}
