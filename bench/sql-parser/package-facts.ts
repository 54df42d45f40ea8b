/**
 * What installing a parser costs and how it is kept: its installed size with every package it
 * pulls in, license, types, module format, and, from the registry (`npm view`), its release
 * history. Sizes are read from this checkout's node_modules, so they are those of the versions
 * in package-lock.json.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface PackageFacts {
  name: string
  version: string
  license: string
  /** Packages it brings in, transitively, itself excluded. */
  dependencies: string[]
  /** Bytes on disk of the package and its dependencies. */
  installedBytes: number
  types: 'bundled' | 'none'
  /** Whether `import()` of the package works in plain Node, without a resolve hook. */
  nodeEsmImport: 'ok' | string
  registry?: ReleaseHistory
}

export interface ReleaseHistory {
  latest: string
  latestDate: string
  /** Releases (prereleases excluded) in the 365 days before the latest one. */
  releasesInYear: number
}

interface Manifest {
  name: string
  version: string
  license?: string
  types?: string
  typings?: string
  dependencies?: Record<string, string>
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
}

/** Node's lookup: the nearest node_modules/<name> from `fromDir` upwards. */
function locate(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked up from ${fromDir})`)
  }
}

function bytesOf(dir: string, skipNodeModules: boolean): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipNodeModules && entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += bytesOf(path, false)
    else if (entry.isFile()) total += statSync(path).size
  }
  return total
}

export function packageFacts(name: string, root: string, withRegistry: boolean): PackageFacts {
  const seen = new Map<string, string>()
  const visit = (pkg: string, fromDir: string): void => {
    const dir = locate(pkg, fromDir)
    if ([...seen.values()].includes(dir)) return
    seen.set(`${pkg}@${readManifest(dir).version}`, dir)
    for (const dep of Object.keys(readManifest(dir).dependencies ?? {})) visit(dep, dir)
  }
  visit(name, root)
  const dir = locate(name, root)
  const manifest = readManifest(dir)
  // A package's own nested node_modules are counted once, as the dependencies they hold.
  const installedBytes = [...seen.values()].reduce((sum, d) => sum + bytesOf(d, true), 0)
  const hasTypes = Boolean(manifest.types ?? manifest.typings) || existsSync(join(dir, 'index.d.ts'))
  return {
    name,
    version: manifest.version,
    license: manifest.license ?? 'unknown',
    dependencies: [...seen.keys()].filter((key) => !key.startsWith(`${name}@`)),
    installedBytes,
    types: hasTypes ? 'bundled' : 'none',
    nodeEsmImport: tryImport(name, root),
    ...(withRegistry ? { registry: releaseHistory(name) } : {}),
  }
}

function tryImport(name: string, root: string): string {
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(name)})`], {
      cwd: root,
      stdio: 'pipe',
    })
    return 'ok'
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '')
    return /\[?(ERR_[A-Z_]+)\]?/.exec(stderr)?.[1] ?? 'fails'
  }
}

function releaseHistory(name: string): ReleaseHistory {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const out = execFileSync(npm, ['view', name, 'time', 'dist-tags', '--json'], { encoding: 'utf8' })
  const view = JSON.parse(out) as { time: Record<string, string>; 'dist-tags': { latest: string } }
  const releases = Object.entries(view.time)
    .filter(([version]) => /^\d+\.\d+\.\d+$/.test(version))
    .map(([version, date]) => ({ version, ms: Date.parse(date) }))
    .sort((a, b) => a.ms - b.ms)
  const latest = view['dist-tags'].latest
  const latestMs = Date.parse(view.time[latest]!)
  const yearMs = 365 * 24 * 3600 * 1000
  return {
    latest,
    latestDate: new Date(latestMs).toISOString().slice(0, 10),
    releasesInYear: releases.filter((r) => r.ms <= latestMs && r.ms > latestMs - yearMs).length,
  }
}
