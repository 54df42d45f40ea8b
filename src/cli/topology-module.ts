/**
 * A user's topology module, as `freshet run <module>` and `freshet describe <module>` load it.
 *
 * A module (`.ts` through Node's type stripping, `.js` or `.mjs`) exports, as its default export
 * or under the name `--export` gives:
 *   - a `Topology` (`pipeline(...).build()`), or a pipeline that is not built yet;
 *   - or a factory `(context) => topology`, sync or async, which gets the application id of
 *     `--application-id` and the `--param key=value` pairs, so that one module serves several
 *     deployments.
 *
 * Loading, as numbered steps:
 *   1. Resolve the path against the working directory; a missing file is a usage error.
 *   2. Import it (its own imports resolve from its own folder, so `freshet` is the user's copy).
 *   3. Pick the export; a missing one names the exports the module has.
 *   4. Call a factory with the context; build a pipeline.
 *   5. Check that the result is a topology, and that its application id is the one asked for.
 *
 * A topology is recognized by its shape rather than by `instanceof`: a module may import another
 * copy of freshet than the CLI's own (a global CLI, a linked checkout).
 */
import { existsSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { FreshetError } from '../errors/index.ts'
import type { Topology, TopologyContext, TopologyFactory } from '../stream/index.ts'

export interface LoadedTopology {
  readonly topology: Topology
  /** The absolute path of the module. */
  readonly path: string
  /** The export it came from. */
  readonly exportName: string
}

const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs']

/** Whether `name` names a module file rather than a seed job: a path, or a file name with an extension. */
export function isModulePath(name: string): boolean {
  return name.includes('/') || name.includes('\\') || MODULE_EXTENSIONS.includes(extname(name))
}

function isTopology(value: unknown): value is Topology {
  const candidate = value as Partial<Topology> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.applicationId === 'string' &&
    typeof candidate.sources === 'function' &&
    typeof candidate.sinks === 'function' &&
    typeof candidate.graphNodes === 'function' &&
    typeof candidate.description === 'object'
  )
}

function isUnbuilt(value: unknown): value is { build(): Topology } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { build?: unknown }).build === 'function'
  )
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`
  return `a ${typeof value}`
}

export async function loadTopology(
  file: string,
  options: { exportName?: string | undefined; context: TopologyContext },
): Promise<LoadedTopology> {
  const exportName = options.exportName ?? 'default'
  // Step 1
  const path = resolve(file)
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new FreshetError('INVALID_OPTION', `no module at ${path}`, { details: { option: 'module' } })
  }
  if (!MODULE_EXTENSIONS.includes(extname(path))) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${path}: a topology module ends in ${MODULE_EXTENSIONS.join(', ')}`,
      { details: { option: 'module', allowed: MODULE_EXTENSIONS } },
    )
  }

  // Step 2
  let module: Record<string, unknown>
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (error) {
    throw new FreshetError(
      'INVALID_OPTION',
      `cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { option: 'module' } },
    )
  }

  // Step 3
  if (!Object.hasOwn(module, exportName)) {
    const names = Object.keys(module)
    throw new FreshetError(
      'INVALID_OPTION',
      `${path} has no export ${JSON.stringify(exportName)}; its exports: ${names.join(', ') || 'none'}` +
        (exportName === 'default' ? ' (pick one with --export NAME)' : ''),
      { details: { option: 'export', allowed: names } },
    )
  }
  let value = module[exportName]

  // Step 4
  const where = `${path} (export ${exportName})`
  if (typeof value === 'function') {
    try {
      value = await (value as TopologyFactory)(Object.freeze({ ...options.context }))
    } catch (error) {
      if (error instanceof FreshetError) throw error
      throw new FreshetError(
        'INVALID_OPTION',
        `${where}: the topology factory threw: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { option: 'module' } },
      )
    }
  }
  if (!isTopology(value) && isUnbuilt(value)) value = value.build() as unknown

  // Step 5
  if (!isTopology(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where} is ${describeValue(value)}, not a topology: export pipeline(...).build(), the pipeline, ` +
        'or a function (context) => topology',
      { details: { option: 'module' } },
    )
  }
  const asked = options.context.applicationId
  if (asked !== undefined && value.applicationId !== asked) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where} built application ${JSON.stringify(value.applicationId)}, not ${JSON.stringify(asked)} ` +
        '(--application-id): to run it under other ids, export a function (context) => topology that ' +
        'builds its pipeline with context.applicationId',
      { details: { option: 'application-id' } },
    )
  }
  return { topology: value, path, exportName }
}

/** `--param key=value` pairs as an object; a pair without `=` or with an empty key is a usage error. */
export function parseParams(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) {
      throw new FreshetError('INVALID_OPTION', `--param must be key=value, got ${JSON.stringify(pair)}`, {
        details: { option: 'param' },
      })
    }
    params[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return params
}
