// Runs the examples of a docs page: every ```ts block followed by a ```text block is a program that
// must print exactly that text. The pages import as a user does, from `freshet` and
// `freshet/testing`; the examples run against the sources under test (src/index.ts and
// src/testing/index.ts), not the built package.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export const root = resolve(import.meta.dirname, '../..')

export interface Example {
  /** The heading the example is under. */
  readonly section: string
  readonly code: string
  readonly output: string
}

export function examples(page: string): Example[] {
  const text = readFileSync(join(root, page), 'utf8')
  const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] as string,
    body: m[2] as string,
    at: m.index,
  }))
  const found: Example[] = []
  for (let i = 0; i + 1 < blocks.length; i++) {
    const block = blocks[i] as { lang: string; body: string; at: number }
    const next = blocks[i + 1] as { lang: string; body: string }
    if (
      block.lang !== 'ts' ||
      next.lang !== 'text' ||
      (!block.body.includes('console.log') && !block.body.includes('process.stdout'))
    )
      continue
    const heading = [...text.slice(0, block.at).matchAll(/^## (.+)$/gm)].at(-1)?.[1] ?? page
    found.push({ section: heading, code: block.body, output: next.body })
  }
  return found
}

/** The source file an example's import of the package (or of `./src/...`) stands for. */
const PACKAGE_ENTRIES: Record<string, string> = {
  freshet: 'src/index.ts',
  'freshet/testing': 'src/testing/index.ts',
}

function rootImports(code: string, to: (path: string) => string): string {
  return code
    .replaceAll(
      /from '(freshet(?:\/testing)?)'/g,
      (_m, name: string) => `from '${to(PACKAGE_ENTRIES[name] as string)}'`,
    )
    .replaceAll(/from '\.\/(src\/[^']+)'/g, (_m, path: string) => `from '${to(path)}'`)
}

export function runExample(code: string): { stdout: string; stderr: string; status: number | null } {
  const rooted = rootImports(code, (path) => pathToFileURL(join(root, path)).href)
  const dir = mkdtempSync(join(tmpdir(), 'freshet-doc-'))
  try {
    const file = join(dir, 'example.ts')
    writeFileSync(file, rooted)
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8' })
    return { stdout: run.stdout, stderr: run.stderr, status: run.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Type-checks examples with the repository's compiler options; returns what tsc printed. */
export function typecheckExamples(codes: readonly string[]): { output: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-doc-types-'))
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    const files = codes.map((code, i) => {
      const file = join(dir, `example-${i}.ts`)
      // Relative, as the compiler rewrites only relative .ts imports.
      const rooted = rootImports(code, (path) => relative(dir, join(root, path)))
      writeFileSync(file, rooted)
      return file
    })
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { typeRoots: [join(root, 'node_modules/@types')] },
        include: files,
      }),
    )
    const run = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
      {
        encoding: 'utf8',
      },
    )
    return { output: run.stdout + run.stderr, status: run.status }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The ts blocks of a docs page, in order. */
export function tsBlocks(page: string): string[] {
  const text = readFileSync(join(root, page), 'utf8')
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string)
}
