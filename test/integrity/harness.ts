/**
 * What the integrity suite shares: a broker of its own (the suite restarts it), worker processes
 * it can kill -9, a producer of sequence numbers it can pause, and a read_committed reader that
 * collects the output while the run goes on.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  type InRecord,
  type OutRecord,
} from '../../src/kafka/index.ts'
import { startBroker, type RunningBroker } from '../../src/stack/broker.ts'
import { freePort, isAlive, watchOwner } from '../../src/stack/processes.ts'
import { inputKey } from './topology.ts'

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url))

/** A small seeded generator, so that a failing run's fault points can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x)
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** A line in the FRESHET_INTEGRITY_LOG file, when set. */
export function note(line: string): void {
  const log = process.env.FRESHET_INTEGRITY_LOG
  if (log !== undefined) appendFileSync(log, `${Date.now()} suite ${line}\n`)
}

/** A broker on fixed ports in a directory of its own, so that it can be restarted in place. */
export class RestartableBroker {
  #broker: RunningBroker | undefined
  readonly #dir: string
  readonly #port: number
  readonly #controllerPort: number

  private constructor(dir: string, port: number, controllerPort: number) {
    this.#dir = dir
    this.#port = port
    this.#controllerPort = controllerPort
  }

  static async start(): Promise<RestartableBroker> {
    const broker = new RestartableBroker(
      await mkdtemp(join(tmpdir(), 'freshet-integrity-')),
      await freePort(),
      await freePort(),
    )
    await broker.#start()
    return broker
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.#port}`
  }

  async #start(): Promise<void> {
    this.#broker = await startBroker({
      dir: this.#dir,
      port: this.#port,
      controllerPort: this.#controllerPort,
      heapMb: 512,
    })
    await watchOwner(process.pid, [this.#broker.pid])
  }

  /**
   * Kills the broker with SIGKILL, as a crash would (no controlled shutdown), and resolves once the
   * process is gone; restart() brings it back on the same ports and data.
   */
  async kill(): Promise<void> {
    const pid = this.#broker?.pid
    if (pid === undefined || !isAlive(pid)) return
    process.kill(pid, 'SIGKILL')
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50))
  }

  /** Stops the broker (SIGTERM, a controlled shutdown) and starts it again on the same data. */
  async restart(): Promise<void> {
    await this.#broker?.stop()
    await this.#start()
  }

  async stop(): Promise<void> {
    try {
      await this.#broker?.stop()
    } finally {
      await rm(this.#dir, { recursive: true, force: true })
    }
  }
}

export interface WorkerConfig {
  bootstrap: string
  applicationId: string
  input: string
  output: string
  workerId: string
  stateDir?: string
  guarantee: 'exactly-once' | 'at-least-once'
  commitIntervalMs?: number
  maxBatchRecords?: number
  /** Input values are Confluent-framed Avro, decoded through this registry; JSON without it. */
  registryUrl?: string
  outageTimeoutMs?: number
  /** The worker's `sessionTimeoutMs`; 6,000 when absent. */
  sessionTimeoutMs?: number
  /** Run the pipeline as written in Flink SQL (`integritySql`) rather than with the DSL. */
  sql?: boolean
}

/** A worker in a child process; its events (JSON lines) are kept in `events`, with `receivedMs`. */
export class WorkerProcess {
  readonly config: WorkerConfig
  readonly events: Array<Record<string, unknown>> = []
  readonly #child: ChildProcess
  readonly exited: Promise<number | null>

  constructor(config: WorkerConfig) {
    this.config = config
    this.#child = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    // FRESHET_INTEGRITY_LOG=<file>: every worker's events, for looking into a failed run.
    const log = process.env.FRESHET_INTEGRITY_LOG
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (log !== undefined) appendFileSync(log, `${Date.now()} ${config.workerId} ${line}\n`)
      // receivedMs: when the suite saw the event, to place it among the faults.
      try {
        this.events.push({ ...(JSON.parse(line) as Record<string, unknown>), receivedMs: Date.now() })
      } catch {
        this.events.push({ type: 'output', line, receivedMs: Date.now() })
      }
    })
    this.exited = new Promise((resolve) => this.#child.on('exit', (code) => resolve(code)))
  }

  get failed(): Record<string, unknown> | undefined {
    return this.events.find((e) => e.type === 'failed')
  }

  killHard(): Promise<number | null> {
    this.#child.kill('SIGKILL')
    return this.exited
  }

  async stop(): Promise<number | null> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return this.exited
    this.#child.kill('SIGTERM')
    return this.exited
  }
}

/** Produces sequence numbers in chunks; `pause()` waits for the chunk in flight. */
export class SequenceProducer {
  readonly #producer: KafkaProducer
  readonly #topic: string
  produced = 0
  #paused: Promise<void> | undefined
  #resume: (() => void) | undefined
  #inFlight: Promise<void> = Promise.resolve()
  /** Encodes a record's value; JSON by default. Switching it applies from the next chunk on. */
  encode: (seq: number, timestamp: number) => Buffer = seqValue

  constructor(bootstrap: string, topic: string) {
    this.#topic = topic
    this.#producer = new KafkaProducer({ bootstrapBrokers: [bootstrap], retries: 20 })
  }

  /** Writes `0 .. count - 1` in chunks, calling `onProgress` after each. */
  async run(count: number, chunk: number, delayMs: number, onProgress: (produced: number) => Promise<void>) {
    while (this.produced < count) {
      await this.#paused
      const end = Math.min(count, this.produced + chunk)
      const records: OutRecord[] = []
      for (let seq = this.produced; seq < end; seq++) {
        records.push({ topic: this.#topic, key: Buffer.from(inputKey(seq)), value: this.encode(seq, seq) })
      }
      this.#inFlight = this.#producer.send(records).then(() => {})
      await this.#inFlight
      this.produced = end
      await onProgress(this.produced)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }

  async pause(): Promise<void> {
    this.#paused = new Promise((resolve) => (this.#resume = resolve))
    await this.#inFlight
  }

  resume(): void {
    this.#paused = undefined
    this.#resume?.()
  }

  /** One record far ahead in event time per partition: closes every window before it. */
  async closeWindows(partitions: number, atMs: number): Promise<void> {
    await this.#producer.send(
      Array.from({ length: partitions }, (_, partition) => ({
        topic: this.#topic,
        partition,
        key: null,
        value: this.encode(-1, atMs),
      })),
    )
  }

  close(): Promise<void> {
    return this.#producer.close()
  }
}

function seqValue(seq: number, timestamp: number): Buffer {
  return Buffer.from(JSON.stringify({ seq, timestamp }))
}

/**
 * A read_committed reader of a topic from its beginning, collecting in the background. It rides out
 * broker outages of any length: when its consumer fails, it starts over from the beginning with a
 * new group. It commits nothing, so a rejoin after an outage also starts over; records are kept
 * once per partition and offset, so `records` is what the topic held committed, each record once:
 * a duplicate a worker wrote has an offset of its own and stays.
 */
export class CommittedReader {
  readonly records: InRecord[] = []
  /** Partition and offset of every record in `records`. */
  readonly #seen = new Set<string>()
  readonly #bootstrap: string
  readonly #topic: string
  readonly #groupId: string
  #consumer: GroupConsumer | undefined
  #generation = 0
  #closed = false
  #loop: Promise<void> | undefined
  /** Times the reader started over after a failure. */
  restarts = 0
  /** Records read again after a start over or a rejoin, and dropped. */
  reread = 0

  constructor(bootstrap: string, topic: string, groupId: string) {
    this.#bootstrap = bootstrap
    this.#topic = topic
    this.#groupId = groupId
  }

  #newConsumer(): GroupConsumer {
    return new GroupConsumer({
      bootstrapBrokers: [this.#bootstrap],
      groupId: `${this.#groupId}-${this.#generation++}`,
      topics: [this.#topic],
      fromBeginning: true,
      isolationLevel: 'read_committed',
      maxWaitMs: 100,
      sessionTimeoutMs: 30_000,
      requestTimeoutMs: 10_000,
      retries: 20,
    })
  }

  async start(): Promise<void> {
    this.#consumer = this.#newConsumer()
    await this.#consumer.start()
    this.#loop = this.#read(this.#consumer)
  }

  async #read(first: GroupConsumer): Promise<void> {
    let consumer = first
    while (!this.#closed) {
      try {
        for (;;) {
          const batch = await consumer.nextBatch()
          if (batch.length === 0) return
          for (const record of batch) {
            const id = `${record.partition}:${record.offset}`
            if (this.#seen.has(id)) {
              this.reread++
              continue
            }
            this.#seen.add(id)
            this.records.push(record)
          }
        }
      } catch {
        // Start over: a new group reads the topic again from its beginning.
        await consumer.close().catch(() => {})
        this.restarts++
        for (;;) {
          if (this.#closed) return
          await new Promise((resolve) => setTimeout(resolve, 1_000))
          consumer = this.#newConsumer()
          this.#consumer = consumer
          try {
            await consumer.start()
            break
          } catch {
            await consumer.close().catch(() => {})
          }
        }
      }
    }
  }

  /** Waits until `predicate` holds; `what` (or what it returns at the timeout) names the wait. */
  async waitFor(predicate: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate()) {
      if (Date.now() > deadline) {
        const described = typeof what === 'string' ? what : what()
        throw new Error(`timed out waiting for ${described} (${this.records.length} records read)`)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#consumer?.close()
    await this.#loop?.catch(() => {})
  }
}

/**
 * Creates the suite's input and output topics without time-based retention: the window results
 * carry their event time (January 1970 here) as timestamp, and the broker's periodic retention
 * check would delete them before a reader that starts over had read them again.
 */
export async function createTopics(bootstrap: string, specs: Array<{ topic: string; partitions: number }>) {
  const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap] })
  try {
    await admin.createTopics(specs.map((spec) => ({ ...spec, configs: { 'retention.ms': '-1' } })))
  } finally {
    await admin.close()
  }
}
