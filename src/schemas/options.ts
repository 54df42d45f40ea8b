import { checks, type Spec } from '../options/index.ts'

export interface CodegenOptions {
  /** Folder holding the .avsc files. */
  schemasDir: string
  /** Folder the generated .ts files go to. */
  outDir: string
  /** Report stale files instead of writing them. */
  check?: boolean
}

export const codegenOptionsSpec: Spec<CodegenOptions> = {
  schemasDir: { check: checks.string() },
  outDir: { check: checks.string() },
  check: { check: checks.boolean(), default: false },
}
