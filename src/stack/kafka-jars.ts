/**
 * The Apache Kafka jars freshet runs: gathered from Maven Central by Maven (stack/kafka/pom.xml)
 * into a cache outside git, once per Kafka version.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FreshetError } from '../errors/index.ts'

export const KAFKA_VERSION = '4.1.1'

const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../..')
export const KAFKA_POM = join(PACKAGE_ROOT, 'stack/kafka/pom.xml')
export const KAFKA_LOG4J_CONFIG = join(PACKAGE_ROOT, 'stack/kafka/log4j2.properties')

export function cacheDir(): string {
  if (process.env.FRESHET_CACHE_DIR) return resolve(process.env.FRESHET_CACHE_DIR)
  const base = process.env.XDG_CACHE_HOME ? resolve(process.env.XDG_CACHE_HOME) : join(homedir(), '.cache')
  return join(base, 'freshet')
}

export function kafkaLibsDir(): string {
  return join(cacheDir(), `kafka-${KAFKA_VERSION}`, 'libs')
}

function stampFile(): string {
  return join(cacheDir(), `kafka-${KAFKA_VERSION}`, '.complete')
}

export function kafkaJarsPresent(): boolean {
  return existsSync(stampFile())
}

/** The JVM classpath for the broker and Kafka's tools; throws when the jars were never fetched. */
export function kafkaClasspath(): string {
  if (!kafkaJarsPresent()) {
    throw new FreshetError(
      'KAFKA_JARS_MISSING',
      `Kafka ${KAFKA_VERSION} jars are not in ${kafkaLibsDir()}; run \`make install\``,
    )
  }
  return join(kafkaLibsDir(), '*')
}

/** Runs Maven to copy the broker, the tools and a log4j2 binding into the cache; no-op when present. */
export function fetchKafkaJars(options: { log?: (line: string) => void } = {}): string {
  const log = options.log ?? (() => {})
  if (kafkaJarsPresent()) return kafkaLibsDir()
  const libs = kafkaLibsDir()
  rmSync(libs, { recursive: true, force: true })
  mkdirSync(libs, { recursive: true })
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs}`)
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      KAFKA_POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  if (result.error || result.status !== 0) {
    throw new FreshetError(
      'KAFKA_JARS_MISSING',
      `Maven could not fetch the Kafka jars (exit ${result.status})`,
      {
        cause: result.error,
      },
    )
  }
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'))
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new FreshetError(
      'KAFKA_JARS_MISSING',
      `Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is not in ${libs}`,
    )
  }
  writeFileSync(stampFile(), `${jars.length} jars\n`)
  log(`fetched ${jars.length} jars`)
  return libs
}
