/**
 * Apache Flink in freshet's cache, installed on first use: no Docker and no tarball download, only
 * the package registries (PyPI for the distribution, Maven Central for the jars it leaves out).
 * docs/decisions/0010-flink-from-pypi.md says why and what each piece weighs.
 *
 * Installing, as numbered steps (a stamp file marks the end; anything short of it starts over):
 *   1. A Python venv in <cache>/flink-<version>/venv, for its pip only (a system pip may be
 *      missing or refuse to install anything, PEP 668).
 *   2. Its pip installs the files of `apache-flink` (bin/ and conf/) and `apache-flink-libraries`
 *      (lib/, opt/, plugins/) into <cache>/flink-<version>/pypi, without their dependencies:
 *      PyFlink's Python dependencies (Beam, pandas, pyarrow, ...) only serve Python jobs, which
 *      freshet does not run.
 *   3. Maven copies the SQL Gateway, the Kafka SQL connector and the Confluent-registry Avro format
 *      from Maven Central (stack/flink/pom.xml).
 *   4. FLINK_HOME is assembled in <cache>/flink-<version>/home: bin/ copied (the scripts find
 *      FLINK_HOME from their own resolved path, so they must not be symlinks into the venv),
 *      lib/, opt/ and plugins/ hard-linked from pypi/ and the Maven jars.
 *   5. The stamp file records what was installed and how long it took.
 */
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FreshetError } from '../errors/index.ts'
import { cacheDir } from '../stack/kafka-jars.ts'

export const FLINK_VERSION = '2.2.0'
/** The Kafka SQL connector built for FLINK_VERSION (its own release line). */
export const FLINK_KAFKA_CONNECTOR_VERSION = '5.0.0-2.2'

const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
export const FLINK_POM = join(PACKAGE_ROOT, 'stack/flink/pom.xml')

/** The jars that must be in FLINK_HOME once installed, by directory. */
const EXPECTED = {
  lib: [
    `flink-dist-${FLINK_VERSION}.jar`,
    `flink-table-planner-loader-${FLINK_VERSION}.jar`,
    `flink-table-runtime-${FLINK_VERSION}.jar`,
    `flink-sql-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}.jar`,
    `flink-sql-avro-confluent-registry-${FLINK_VERSION}.jar`,
  ],
  opt: [`flink-sql-gateway-${FLINK_VERSION}.jar`],
  bin: ['config.sh', 'jobmanager.sh', 'taskmanager.sh', 'sql-gateway.sh', 'bash-java-utils.jar'],
} as const

type Log = (line: string) => void

export interface FlinkInstallation {
  home: string
  version: string
}

function installDir(): string {
  return join(cacheDir(), `flink-${FLINK_VERSION}`)
}

/** FLINK_HOME: bin/, lib/, opt/, plugins/ and the distribution's conf/ (a template only). */
export function flinkHome(): string {
  return join(installDir(), 'home')
}

function stampFile(): string {
  return join(installDir(), '.complete')
}

export function flinkInstalled(): boolean {
  return existsSync(stampFile())
}

function python(): string {
  return process.env.FRESHET_PYTHON || 'python3'
}

function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')
    throw new FreshetError(
      'FLINK_INSTALL_FAILED',
      `${what} failed (${result.error ? result.error.message : `exit ${result.status}`})${output ? `:\n${output}` : ''}`,
      { cause: result.error },
    )
  }
  return result.stdout
}

/** Hard-links (or, across file systems, copies) every file of `from` whose name passes `keep`. */
function linkFiles(from: string, to: string, keep: (name: string) => boolean = () => true): void {
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) {
    const source = join(from, name)
    if (!statSync(source).isFile() || !keep(name)) continue
    try {
      linkSync(source, join(to, name))
    } catch {
      copyFileSync(source, join(to, name))
    }
  }
}

/** Bytes on disk under `dir`, each hard-linked file counted once. */
function directorySizeBytes(dir: string): number {
  const seen = new Set<number>()
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const stat = statSync(join(entry.parentPath, entry.name))
    if (seen.has(stat.ino)) continue
    seen.add(stat.ino)
    total += stat.size
  }
  return total
}

/** Installs Flink into the cache when it is not there yet; returns FLINK_HOME either way. */
export function installFlink(options: { log?: Log } = {}): FlinkInstallation {
  const log = options.log ?? (() => {})
  if (flinkInstalled()) return { home: flinkHome(), version: FLINK_VERSION }
  const startedMs = Date.now()
  const dir = installDir()
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })

  // Step 1
  const venv = join(dir, 'venv')
  log(`installing Apache Flink ${FLINK_VERSION} into ${dir}`)
  run(python(), ['-m', 'venv', venv], `creating a Python venv with ${python()} (it needs Python 3 with venv)`)
  const venvPython = join(venv, 'bin', 'python')

  // Step 2
  const dist = join(dir, 'pypi')
  log(
    `pip: apache-flink==${FLINK_VERSION} and apache-flink-libraries==${FLINK_VERSION}, without dependencies`,
  )
  run(
    venvPython,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      // The same wheel whatever the local Python (3.13 has none of its own): freshet takes only its
      // scripts and jars, never its compiled Python extensions.
      '--only-binary=:all:',
      '--python-version',
      '3.11',
      '--implementation',
      'cp',
      '--abi',
      'cp311',
      '--platform',
      'manylinux2014_x86_64',
      '--target',
      dist,
      `apache-flink==${FLINK_VERSION}`,
      `apache-flink-libraries==${FLINK_VERSION}`,
    ],
    'pip install apache-flink apache-flink-libraries',
  )
  const pyflink = join(dist, 'pyflink')

  // Step 3
  const jars = join(dir, 'maven')
  log('maven: flink-sql-gateway, flink-sql-connector-kafka, flink-sql-avro-confluent-registry')
  run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      FLINK_POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${jars}`,
      '-DexcludeTransitive=true',
    ],
    'Maven fetching the Flink jars',
  )

  // Step 4
  const home = flinkHome()
  cpSync(join(pyflink, 'bin'), join(home, 'bin'), { recursive: true })
  for (const name of readdirSync(join(home, 'bin'))) {
    if (name.endsWith('.sh') || name === 'flink') chmodSync(join(home, 'bin', name), 0o755)
  }
  cpSync(join(pyflink, 'conf'), join(home, 'conf'), { recursive: true })
  linkFiles(join(pyflink, 'lib'), join(home, 'lib'))
  linkFiles(jars, join(home, 'lib'), (name) => !name.startsWith('flink-sql-gateway'))
  linkFiles(join(pyflink, 'opt'), join(home, 'opt'))
  linkFiles(jars, join(home, 'opt'), (name) => name.startsWith('flink-sql-gateway'))
  cpSync(join(pyflink, 'plugins'), join(home, 'plugins'), { recursive: true })
  for (const [sub, names] of Object.entries(EXPECTED)) {
    for (const name of names) {
      if (!existsSync(join(home, sub, name))) {
        throw new FreshetError(
          'FLINK_INSTALL_FAILED',
          `the installation finished without ${sub}/${name} in ${home}`,
        )
      }
    }
  }

  // Step 5
  const durationMs = Date.now() - startedMs
  const sizeBytes = directorySizeBytes(dir)
  writeFileSync(
    stampFile(),
    JSON.stringify({ version: FLINK_VERSION, installedAtMs: Date.now(), durationMs, sizeBytes }) + '\n',
  )
  log(`installed in ${(durationMs / 1000).toFixed(1)} s, ${Math.round(sizeBytes / 1024 / 1024)} MiB`)
  return { home, version: FLINK_VERSION }
}
