/**
 * Regenerates freshet's FlinkSQL parser (src/sql/grammar/generated/) from dt-sql-parser's grammar
 * (upstream/, as released in 4.5.1) plus freshet.patch. See README.md in this folder.
 *
 *   1. Check the pinned versions: the antlr4ng runtime installed in node_modules must be the one
 *      the generator targets, or the generated tables may not load.
 *   2. Find antlr4ng-cli (ANTLR4NG_CLI=<its folder>, else freshet's cache, installing it there
 *      with npm on first use; the tool needs Java 11 or later).
 *   3. Copy upstream/*.g4 to a scratch folder and apply freshet.patch with `git apply`.
 *   4. Run the generator, as dt-sql-parser's scripts/antlr4.js does (TypeScript target, visitor,
 *      listener).
 *   5. Point the generated `import ... '../SQLParserBase'` at the compiled SQLParserBase.ts of this
 *      folder, and compile it all to ES modules with declarations, as the package does for dist/.
 *   6. Write the .js and .d.ts files, each under a header naming its sources.
 *
 * With --check nothing is written and the exit code is 1 when a generated file differs.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { cacheDir } from '../../src/stack/kafka-jars.ts'

const ANTLR4NG_CLI_VERSION = '1.0.7'
const ANTLR4NG_RUNTIME_VERSION = '2.0.11'
// The grammar files of tag v4.5.0; 4.5.1 changed none of them (its dist/lib/flink holds the same ATN).
const UPSTREAM = 'dt-sql-parser 4.5.1 (src/grammar/flink at 1e853da4, unchanged since v4.5.0)'
const GRAMMARS = ['FlinkSqlLexer.g4', 'FlinkSqlParser.g4']
// ANTLR's warnings on the unpatched grammar: optional blocks that can match nothing.
const UPSTREAM_WARNING =
  /^warning\(154\): FlinkSqlParser\.g4:\d+:0: rule (columnProjectItem|projectItemDefinition|functionCallExpression) contains an optional block/
const OUTPUTS = ['FlinkSqlLexer', 'FlinkSqlParser', 'FlinkSqlParserListener', 'FlinkSqlParserVisitor']

const here = import.meta.dirname
const root = join(here, '../..')
const outDir = join(root, 'src/sql/grammar/generated')

function fail(message: string): never {
  console.error(`sql-grammar: ${message}`)
  process.exit(1)
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
}

// Step 1
function checkRuntime(): void {
  const runtime = packageVersion(join(root, 'node_modules/antlr4ng'))
  if (runtime !== ANTLR4NG_RUNTIME_VERSION)
    fail(
      `node_modules has antlr4ng ${runtime}; the generator (antlr4ng-cli ${ANTLR4NG_CLI_VERSION}) targets ${ANTLR4NG_RUNTIME_VERSION}, the version dt-sql-parser 4.5.1 pins`,
    )
}

// Step 2
function findTool(): string {
  const dir = process.env.ANTLR4NG_CLI
    ? process.env.ANTLR4NG_CLI
    : join(cacheDir(), `antlr4ng-cli-${ANTLR4NG_CLI_VERSION}/node_modules/antlr4ng-cli`)
  if (!existsSync(join(dir, 'package.json'))) {
    if (process.env.ANTLR4NG_CLI) fail(`ANTLR4NG_CLI=${dir} holds no package.json`)
    const prefix = join(dir, '../..')
    console.log(`sql-grammar: installing antlr4ng-cli@${ANTLR4NG_CLI_VERSION} into ${prefix}`)
    mkdirSync(prefix, { recursive: true })
    execFileSync(
      'npm',
      ['install', '--no-save', '--prefix', prefix, `antlr4ng-cli@${ANTLR4NG_CLI_VERSION}`],
      {
        stdio: 'inherit',
      },
    )
  }
  const version = packageVersion(dir)
  if (version !== ANTLR4NG_CLI_VERSION) fail(`${dir} is antlr4ng-cli ${version}, not ${ANTLR4NG_CLI_VERSION}`)
  return join(dir, 'index.js')
}

// Steps 3 and 4
function generateTypeScript(tool: string, scratch: string): string {
  const grammarDir = join(scratch, 'grammar')
  mkdirSync(grammarDir)
  for (const g of GRAMMARS) writeFileSync(join(grammarDir, g), readFileSync(join(here, 'upstream', g)))
  // Inside a repository git apply would skip paths outside the current folder, silently: keep git
  // from looking above the scratch folder, and check that both grammars changed.
  execFileSync('git', ['apply', '--whitespace=nowarn', join(here, 'freshet.patch')], {
    cwd: grammarDir,
    stdio: 'inherit',
    env: { ...process.env, GIT_CEILING_DIRECTORIES: scratch },
  })
  for (const g of GRAMMARS)
    if (readFileSync(join(grammarDir, g), 'utf8') === readFileSync(join(here, 'upstream', g), 'utf8'))
      fail(`freshet.patch left ${g} unchanged`)
  const tsDir = join(scratch, 'ts')
  const generator = spawnSync(
    process.execPath,
    [tool, '-Dlanguage=TypeScript', '-visitor', '-listener', '-Xexact-output-dir', '-o', tsDir].concat(
      GRAMMARS.map((g) => join(grammarDir, g)),
    ),
    { encoding: 'utf8' },
  )
  if (generator.status !== 0) fail(`the generator failed:\n${generator.stderr}${generator.stdout}`)
  // The upstream grammar's own warnings are expected; any other is the patch's and is shown.
  const warnings = generator.stderr.split('\n').filter((l) => l !== '' && !UPSTREAM_WARNING.test(l))
  for (const w of warnings) console.warn(`sql-grammar: generator: ${w}`)
  return tsDir
}

// Step 5
function compile(tsDir: string, scratch: string): Map<string, string> {
  for (const name of OUTPUTS) {
    const file = join(tsDir, `${name}.ts`)
    const source = readFileSync(file, 'utf8')
      // As the package's scripts/cleanComment.js does: the generated code is not strict-clean.
      .replace(/^\/\/ Generated from .*\n/, '// @ts-nocheck\n')
      .replaceAll(`from '../SQLParserBase'`, `from './SQLParserBase.js'`)
    writeFileSync(file, source)
  }
  writeFileSync(join(tsDir, 'SQLParserBase.ts'), readFileSync(join(here, 'SQLParserBase.ts')))
  const emitDir = join(scratch, 'emit')
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    // dt-sql-parser compiles for ES6, where fields are assigned in the constructor: keep that.
    useDefineForClassFields: false,
    declaration: true,
    // Strict, as the package builds: the declarations then keep their `| null`s.
    strict: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2023.d.ts'],
    outDir: emitDir,
    rootDir: tsDir,
    newLine: ts.NewLineKind.LineFeed,
    // The scratch folder is outside the repository: resolve the runtime from freshet's node_modules.
    paths: { antlr4ng: [join(root, 'node_modules/antlr4ng')] },
  }
  const program = ts.createProgram(
    OUTPUTS.concat('SQLParserBase').map((n) => join(tsDir, `${n}.ts`)),
    options,
  )
  const result = program.emit()
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(result.diagnostics)
  if (diagnostics.length > 0)
    fail(
      ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => tsDir,
        getNewLine: () => '\n',
      }),
    )
  const files = new Map<string, string>()
  for (const name of readdirSync(emitDir)) files.set(name, readFileSync(join(emitDir, name), 'utf8'))
  return files
}

// Step 6
function withHeader(name: string, text: string): string {
  const from = name.startsWith('SQLParserBase.')
    ? 'scripts/sql-grammar/SQLParserBase.ts'
    : `the FlinkSQL grammar of ${UPSTREAM}, MIT (scripts/sql-grammar/upstream/LICENSE),\n// with scripts/sql-grammar/freshet.patch, by antlr4ng-cli ${ANTLR4NG_CLI_VERSION}`
  return `// Generated by scripts/sql-grammar/generate.ts from ${from}. Do not edit.\n${text}`
}

const args = process.argv.slice(2)
const unknown = args.filter((a) => a !== '--check')
if (unknown.length > 0)
  fail(`unknown argument ${unknown.join(' ')}; usage: node scripts/sql-grammar/generate.ts [--check]`)
const check = args.includes('--check')

checkRuntime()
const tool = findTool()
const scratch = mkdtempSync(join(tmpdir(), 'freshet-sql-grammar-'))
try {
  const files = compile(generateTypeScript(tool, scratch), scratch)
  const stale: string[] = []
  if (!check) mkdirSync(outDir, { recursive: true })
  for (const [name, text] of files) {
    const target = join(outDir, name)
    const content = withHeader(name, text)
    if (existsSync(target) && readFileSync(target, 'utf8') === content) continue
    stale.push(relative(root, target))
    if (!check) writeFileSync(target, content)
  }
  const expected = new Set(files.keys())
  for (const name of existsSync(outDir) ? readdirSync(outDir) : []) {
    if (expected.has(name)) continue
    stale.push(relative(root, join(outDir, name)))
    if (!check) rmSync(join(outDir, name))
  }
  if (check && stale.length > 0) fail(`stale generated files:\n  ${stale.join('\n  ')}`)
  console.log(
    stale.length === 0
      ? 'sql-grammar: generated files are up to date'
      : `sql-grammar: wrote ${stale.join(', ')}`,
  )
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
