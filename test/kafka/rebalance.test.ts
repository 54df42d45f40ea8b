/**
 * Rebalances of `GroupConsumer` against a real broker. Members read sequence-numbered records
 * (value = sequence number) from a 6-partition topic and commit only in onPartitionsRevoked,
 * which is slowed down on purpose; every event (assignment, revocation, record handed out) goes
 * into one ledger, in the order it happened. The oracles:
 *   - no partition is held by two members at once, where a member holds a partition from the
 *     call of onPartitionsAssigned to the return of onPartitionsRevoked;
 *   - a record is handed out only while its partition is held, after onPartitionsAssigned has
 *     returned and before onPartitionsRevoked was called;
 *   - per partition, the offsets handed out (across members) are 0, 1, 2, ... with no duplicate
 *     and no gap, and each new holder starts at the offset the previous one committed;
 *   - every sequence number is handed out exactly once (a member killed without committing its
 *     last reads: exactly those twice).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  GroupConsumer,
  KafkaProducer,
  TransactionalProducer,
  type ConsumerOptions,
  type GroupMember,
  type InRecord,
  type TopicPartitions,
} from '../../src/kafka/index.ts'
import { bootstrap, brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'

const PARTITIONS = 6

interface LedgerEvent {
  kind: 'assign-start' | 'assigned' | 'revoke-start' | 'revoked' | 'record'
  member: string
  /** assign-start, assigned, revoke-start, revoked */
  partitions?: number[]
  /** revoked: what the commit in onPartitionsRevoked committed, or its error. */
  committed?: Map<number, bigint>
  error?: unknown
  /** record */
  partition?: number
  offset?: bigint
  seq?: number
}

class Ledger {
  readonly events: LedgerEvent[] = []

  push(event: LedgerEvent): void {
    this.events.push(event)
  }

  records(member?: string): LedgerEvent[] {
    return this.events.filter((e) => e.kind === 'record' && (member === undefined || e.member === member))
  }
}

function flat(list: readonly TopicPartitions[]): number[] {
  return list.flatMap((a) => a.partitions).sort((x, y) => x - y)
}

/** Writes records with sequence numbers from..from+count-1, sequence number s to partition s % 6. */
async function produce(topic: string, from: number, count: number): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      Array.from({ length: count }, (_, i) => ({
        topic,
        partition: (from + i) % PARTITIONS,
        value: Buffer.from(String(from + i)),
      })),
    )
  } finally {
    await producer.close()
  }
}

async function until(condition: () => boolean, what: string, deadlineMs = 90_000): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(50)
  }
}

interface MemberOptions extends Partial<ConsumerOptions> {
  /** Delay of onPartitionsRevoked before it commits, per call (then 0). */
  revokeDelaysMs?: number[]
  assignDelayMs?: number
  /** Runs in onPartitionsRevoked, after the delay and before the commit. */
  beforeRevokeCommit?: (member: Member, partitions: number[]) => Promise<void>
}

/**
 * A group member as the engine will be one: it reads batches, keeps the next offset per
 * partition, and commits them in onPartitionsRevoked (also when closed). Everything goes into
 * the ledger; inconsistencies of `assignments` with the callbacks go into `problems`.
 */
class Member {
  readonly name: string
  readonly ledger: Ledger
  readonly consumer: GroupConsumer
  readonly positions = new Map<number, bigint>()
  readonly problems: string[] = []
  #revokes = 0
  #loop: Promise<void> | undefined
  #loopError: unknown

  constructor(
    t: TestContext,
    name: string,
    ledger: Ledger,
    topic: string,
    groupId: string,
    options: MemberOptions = {},
  ) {
    this.name = name
    this.ledger = ledger
    const { revokeDelaysMs = [], assignDelayMs = 0, beforeRevokeCommit, ...consumerOptions } = options
    this.consumer = new GroupConsumer({
      bootstrapBrokers: brokers(),
      groupId,
      clientId: name,
      topics: [topic],
      fromBeginning: true,
      heartbeatIntervalMs: 500,
      maxWaitMs: 100,
      ...consumerOptions,
      onPartitionsAssigned: async (assigned) => {
        const partitions = flat(assigned)
        ledger.push({ kind: 'assign-start', member: name, partitions })
        this.#expectAssignments(partitions, 'onPartitionsAssigned')
        await sleep(assignDelayMs)
        ledger.push({ kind: 'assigned', member: name, partitions })
      },
      onPartitionsRevoked: async (revoked) => {
        const partitions = flat(revoked)
        ledger.push({ kind: 'revoke-start', member: name, partitions })
        this.#expectAssignments(partitions, 'onPartitionsRevoked')
        await sleep(revokeDelaysMs[this.#revokes++] ?? 0)
        await beforeRevokeCommit?.(this, partitions)
        const offsets = partitions
          .filter((p) => this.positions.has(p))
          .map((p) => ({ topic, partition: p, offset: this.positions.get(p)! }))
        try {
          await this.consumer.commit(offsets)
          const committed = new Map(offsets.map((o) => [o.partition, o.offset]))
          ledger.push({ kind: 'revoked', member: name, partitions, committed })
        } catch (error) {
          ledger.push({ kind: 'revoked', member: name, partitions, error })
        }
        for (const p of partitions) this.positions.delete(p)
      },
    })
    t.after(() => this.consumer.close())
  }

  #expectAssignments(partitions: number[], where: string): void {
    const snapshot = flat(this.consumer.assignments)
    if (JSON.stringify(snapshot) !== JSON.stringify(partitions)) {
      this.problems.push(`${this.name}: assignments ${snapshot} in ${where}(${partitions})`)
    }
  }

  async start(): Promise<void> {
    await this.consumer.start()
    this.#loop = (async () => {
      for await (const batch of this.consumer.batches(500)) {
        for (const r of batch) this.#handle(r)
      }
    })().catch((error: unknown) => {
      this.#loopError = error
    })
  }

  #handle(r: InRecord): void {
    this.ledger.push({
      kind: 'record',
      member: this.name,
      partition: r.partition,
      offset: r.offset,
      seq: Number(r.value!.toString()),
    })
    this.positions.set(r.partition, r.offset + 1n)
  }

  async close(): Promise<void> {
    await this.consumer.close()
    await this.#loop
    if (this.#loopError) throw this.#loopError
  }
}

/**
 * No partition held by two members at once; records only from a member whose
 * onPartitionsAssigned for the partition returned and whose onPartitionsRevoked was not called.
 */
function checkOwnership(ledger: Ledger): string[] {
  const problems: string[] = []
  const holder = new Map<number, string>()
  const ready = new Map<string, Set<number>>()
  const readyOf = (member: string): Set<number> => {
    let set = ready.get(member)
    if (!set) ready.set(member, (set = new Set()))
    return set
  }
  for (const e of ledger.events) {
    switch (e.kind) {
      case 'assign-start':
        for (const p of e.partitions!) {
          const other = holder.get(p)
          if (other !== undefined && other !== e.member) {
            problems.push(`${e.member} was assigned partition ${p} while ${other} still held it`)
          }
          holder.set(p, e.member)
        }
        break
      case 'assigned':
        for (const p of e.partitions!) readyOf(e.member).add(p)
        break
      case 'revoke-start':
        for (const p of e.partitions!) readyOf(e.member).delete(p)
        break
      case 'revoked':
        for (const p of e.partitions!) if (holder.get(p) === e.member) holder.delete(p)
        break
      case 'record':
        if (!readyOf(e.member).has(e.partition!)) {
          problems.push(`${e.member} got ${e.partition}@${e.offset} outside its assignment`)
        }
        break
    }
  }
  return problems
}

/**
 * Per partition, the offsets handed out are start, start+1, ..., end-1 in ledger order, and a
 * member that takes a partition over starts at the offset its previous reader committed.
 */
function checkOffsets(ledger: Ledger, end: bigint, start = new Map<number, bigint>()): string[] {
  const problems: string[] = []
  const next = new Map<number, bigint>()
  const committed = new Map<number, bigint>(start)
  const reader = new Map<number, string>()
  for (const e of ledger.events) {
    if (e.kind === 'revoked') for (const [p, offset] of e.committed ?? []) committed.set(p, offset)
    if (e.kind !== 'record') continue
    const p = e.partition!
    const expected = next.get(p) ?? start.get(p) ?? 0n
    if (e.offset !== expected)
      problems.push(`partition ${p}: ${e.member} got offset ${e.offset}, expected ${expected}`)
    if (reader.get(p) !== e.member) {
      const from = committed.get(p) ?? 0n
      if (e.offset !== from) {
        problems.push(`partition ${p}: ${e.member} started at ${e.offset}, the committed offset was ${from}`)
      }
      reader.set(p, e.member)
    }
    next.set(p, e.offset! + 1n)
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const reached = next.get(p) ?? start.get(p) ?? 0n
    if (reached !== end) problems.push(`partition ${p}: read up to ${reached}, expected ${end}`)
  }
  return problems
}

/** Each sequence number 0..total-1 exactly `times(seq)` times. */
function checkSequence(seqs: number[], total: number, times: (seq: number) => number = () => 1): string[] {
  const counts = new Array<number>(total).fill(0)
  const problems: string[] = []
  for (const s of seqs) {
    if (s < 0 || s >= total) problems.push(`unexpected sequence number ${s}`)
    else counts[s]!++
  }
  for (let s = 0; s < total; s++) {
    if (counts[s] !== times(s)) problems.push(`sequence number ${s} handed out ${counts[s]} times`)
  }
  return problems.slice(0, 20)
}

function seqs(events: LedgerEvent[]): number[] {
  return events.map((e) => e.seq!)
}

/** First offset `member` got of each partition after its event number `after`. */
function firstOffsets(ledger: Ledger, member: string, after = 0): Map<number, bigint> {
  const first = new Map<number, bigint>()
  for (const e of ledger.events.slice(after)) {
    if (e.kind === 'record' && e.member === member && !first.has(e.partition!))
      first.set(e.partition!, e.offset!)
  }
  return first
}

test('a second member joins: the first commits in onPartitionsRevoked before the second reads any of its partitions, which start at those offsets; every record once', async (t) => {
  const topic = await randomTopic(t, 'rebalance-join', PARTITIONS)
  const groupId = randomName('rebalance-join')
  const ledger = new Ledger()
  await produce(topic, 0, 3_000)
  const a = new Member(t, 'A', ledger, topic, groupId, { revokeDelaysMs: [1_000, 1_000], assignDelayMs: 300 })
  await a.start()
  await until(() => ledger.records('A').length >= 1_000, 'A to read 1,000 records')
  const joinedAt = ledger.events.length
  const b = new Member(t, 'B', ledger, topic, groupId, { revokeDelaysMs: [1_000], assignDelayMs: 300 })
  await b.start()
  await produce(topic, 3_000, 3_000)
  await until(() => ledger.records().length >= 6_000, 'all 6,000 records to be read')
  await b.close()
  await a.close()

  assert.deepEqual([...a.problems, ...b.problems], [])
  assert.deepEqual(checkOwnership(ledger), [])
  assert.deepEqual(checkOffsets(ledger, 1_000n), [])
  assert.deepEqual(checkSequence(seqs(ledger.records()), 6_000), [])
  // The hand-over was real: B took partitions A had read from, mid-way, at A's commits.
  const handedOver = [...firstOffsets(ledger, 'B', joinedAt)].filter(([, offset]) => offset > 0n)
  assert.ok(handedOver.length > 0, 'B started no partition at an offset A committed')
  t.diagnostic(`A read ${ledger.records('A').length}, B read ${ledger.records('B').length}`)
  t.diagnostic(`B started partitions at A's commits: ${handedOver.map(([p, o]) => `${p}@${o}`).join(' ')}`)
})

test('a member leaving (close) hands its partitions over at the offsets it committed in onPartitionsRevoked; every record once', async (t) => {
  const topic = await randomTopic(t, 'rebalance-leave', PARTITIONS)
  const groupId = randomName('rebalance-leave')
  const ledger = new Ledger()
  const total = 6_000
  const producing = (async () => {
    for (let seq = 0; seq < total; seq += 60) {
      await produce(topic, seq, 60)
      await sleep(40)
    }
  })()
  const a = new Member(t, 'A', ledger, topic, groupId, {
    revokeDelaysMs: [500, 500, 500],
    assignDelayMs: 200,
  })
  const b = new Member(t, 'B', ledger, topic, groupId, { revokeDelaysMs: [500, 500], assignDelayMs: 200 })
  await a.start()
  await b.start()
  await until(() => ledger.records('B').length >= 300, 'B to read 300 records')
  const leftAt = ledger.events.length
  await b.close()
  await producing
  await until(() => ledger.records().length >= total, `all ${total} records to be read`)
  await a.close()

  assert.deepEqual([...a.problems, ...b.problems], [])
  assert.deepEqual(checkOwnership(ledger), [])
  assert.deepEqual(checkOffsets(ledger, BigInt(total / PARTITIONS)), [])
  assert.deepEqual(checkSequence(seqs(ledger.records()), total), [])
  const bClosed = ledger.events.findLast((e) => e.kind === 'revoked' && e.member === 'B')
  assert.ok(bClosed?.committed && bClosed.committed.size > 0, 'B committed nothing when it closed')
  const taken = firstOffsets(ledger, 'A', leftAt)
  for (const [p, offset] of bClosed.committed) {
    assert.equal(taken.get(p), offset, `A took partition ${p} over at ${taken.get(p)}, B committed ${offset}`)
  }
  t.diagnostic(`B committed on close: ${[...bClosed.committed].map(([p, o]) => `${p}@${o}`).join(' ')}`)
})

test('onPartitionsAssigned returns before nextBatch hands out a record of a newly assigned partition; assignments agrees with the callbacks', async (t) => {
  const topic = await randomTopic(t, 'rebalance-assign', PARTITIONS)
  const groupId = randomName('rebalance-assign')
  const ledger = new Ledger()
  await produce(topic, 0, 1_200)
  // A's revocation writes more records before it commits, so that records wait in every
  // partition when the new assignment arrives: a stream that fetched before onPartitionsAssigned
  // returned would have them at once.
  let wrote = false
  const a = new Member(t, 'A', ledger, topic, groupId, {
    assignDelayMs: 1_500,
    beforeRevokeCommit: async () => {
      if (wrote) return
      wrote = true
      await produce(topic, 1_200, 1_200)
    },
  })
  await a.start()
  assert.deepEqual(flat(a.consumer.assignments), [0, 1, 2, 3, 4, 5])
  assert.equal(a.consumer.state, 'CONSUMING')
  await until(() => ledger.records('A').length >= 1_200, 'A to read 1,200 records')
  const joinedAt = ledger.events.length
  const b = new Member(t, 'B', ledger, topic, groupId, { assignDelayMs: 1_500 })
  await b.start()
  await until(() => ledger.records().length >= 2_400, 'all 2,400 records to be read')
  const aOwns = flat(a.consumer.assignments)
  const bOwns = flat(b.consumer.assignments)
  assert.deepEqual([...aOwns, ...bOwns].sort(), [0, 1, 2, 3, 4, 5])
  await b.close()
  await a.close()

  assert.deepEqual([...a.problems, ...b.problems], [])
  assert.deepEqual(checkOwnership(ledger), [])
  assert.deepEqual(checkOffsets(ledger, 400n), [])
  assert.deepEqual(checkSequence(seqs(ledger.records()), 2_400), [])
  // After the rebalance, each member's first record comes after its onPartitionsAssigned returned.
  for (const member of ['A', 'B']) {
    const events = ledger.events.slice(joinedAt)
    const assigned = events.findIndex((e) => e.kind === 'assigned' && e.member === member)
    const firstRecord = events.findIndex((e) => e.kind === 'record' && e.member === member)
    assert.ok(assigned >= 0, `${member} was not assigned partitions`)
    assert.ok(firstRecord > assigned, `${member}: a record before onPartitionsAssigned returned`)
  }
})

test('onPartitionsRevoked may take longer than the session timeout: the member stays in the group, its commit counts, and the rebalance waits for it', async (t) => {
  const topic = await randomTopic(t, 'rebalance-slow', PARTITIONS)
  const groupId = randomName('rebalance-slow')
  const ledger = new Ledger()
  await produce(topic, 0, 600)
  const timeouts = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 30_000 }
  const a = new Member(t, 'A', ledger, topic, groupId, { ...timeouts, revokeDelaysMs: [9_000] })
  await a.start()
  await until(() => ledger.records('A').length >= 600, 'A to read 600 records')
  const memberBefore = a.consumer.memberId
  const b = new Member(t, 'B', ledger, topic, groupId, timeouts)
  await b.start()
  await produce(topic, 600, 600)
  await until(() => ledger.records().length >= 1_200, 'all 1,200 records to be read')
  const memberAfter = a.consumer.memberId
  await b.close()
  await a.close()

  const slow = ledger.events.find((e) => e.kind === 'revoked' && e.member === 'A')
  assert.equal(slow?.error, undefined, `the slow commit failed: ${String(slow?.error)}`)
  assert.equal(slow?.committed?.size, PARTITIONS)
  assert.equal(memberAfter, memberBefore, 'A was removed from the group and joined again')
  assert.deepEqual([...a.problems, ...b.problems], [])
  assert.deepEqual(checkOwnership(ledger), [])
  assert.deepEqual(checkOffsets(ledger, 200n), [])
  assert.deepEqual(checkSequence(seqs(ledger.records()), 1_200), [])
})

test('a member killed without leaving (SIGKILL): the survivor takes its partitions after the session timeout and resumes at its committed offsets', async (t) => {
  const topic = await randomTopic(t, 'rebalance-kill', PARTITIONS)
  const groupId = randomName('rebalance-kill')
  const ledger = new Ledger()
  const total = 1_200
  const timeouts = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000 }
  const survivor = new Member(t, 'S', ledger, topic, groupId, timeouts)
  await survivor.start()

  // The victim commits after each of its first batches (up to 150 records), then reads on
  // without committing, and says so; its reads are what it printed.
  const victimCode = `
    const { GroupConsumer, nextOffsets } = await import(process.env.KAFKA_MODULE)
    const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
    const consumer = new GroupConsumer({
      bootstrapBrokers: [process.env.FRESHET_TEST_BOOTSTRAP], groupId: process.env.GROUP,
      topics: [process.env.TOPIC], fromBeginning: true, heartbeatIntervalMs: 500, maxWaitMs: 100,
      sessionTimeoutMs: ${timeouts.sessionTimeoutMs}, rebalanceTimeoutMs: ${timeouts.rebalanceTimeoutMs},
    })
    await consumer.start()
    out({ assigned: consumer.assignments.flatMap((a) => a.partitions) })
    let read = 0
    for (;;) {
      const batch = await consumer.nextBatch(50)
      if (batch.length === 0) break
      out({ read: batch.map((r) => [r.partition, String(r.offset), Number(r.value.toString())]) })
      read += batch.length
      if (read <= 150) {
        const offsets = nextOffsets(batch)
        await consumer.commit(offsets)
        out({ committed: offsets.map((o) => [o.partition, String(o.offset)]) })
      } else {
        out({ uncommitted: true })
      }
    }`
  const victim = spawn(process.execPath, ['--input-type=module', '-e', victimCode], {
    env: {
      ...process.env,
      FRESHET_TEST_BOOTSTRAP: bootstrap(),
      KAFKA_MODULE: new URL('../../src/kafka/index.ts', import.meta.url).href,
      GROUP: groupId,
      TOPIC: topic,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => {
    if (victim.exitCode === null && victim.signalCode === null) victim.kill('SIGKILL')
  })
  const victimReads: Array<{ partition: number; offset: bigint; seq: number }> = []
  const victimCommitted = new Map<number, bigint>()
  let victimPartitions: number[] = []
  let uncommitted = false
  createInterface({ input: victim.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as {
      assigned?: number[]
      read?: Array<[number, string, number]>
      committed?: Array<[number, string]>
      uncommitted?: boolean
    }
    if (message.assigned) victimPartitions = message.assigned
    for (const [partition, offset, seq] of message.read ?? []) {
      victimReads.push({ partition, offset: BigInt(offset), seq })
    }
    for (const [partition, offset] of message.committed ?? []) victimCommitted.set(partition, BigInt(offset))
    if (message.uncommitted) uncommitted = true
  })
  await until(() => victimPartitions.length > 0, 'the victim to join')
  await produce(topic, 0, total)
  await until(() => uncommitted, 'the victim to read past its last commit')
  victim.kill('SIGKILL')
  const killedAt = ledger.events.length
  const killedAtMs = Date.now()
  await until(
    () =>
      ledger.events.slice(killedAt).some((e) => e.kind === 'assigned' && e.partitions!.length === PARTITIONS),
    'the survivor to take every partition',
  )
  const takeOverMs = Date.now() - killedAtMs
  const reached = (p: number): bigint =>
    ledger.records('S').reduce((end, e) => (e.partition === p && e.offset! >= end ? e.offset! + 1n : end), 0n)
  await until(
    () => [...Array(PARTITIONS).keys()].every((p) => reached(p) === BigInt(total / PARTITIONS)),
    'the survivor to read every partition to its end',
  )
  await survivor.close()

  assert.equal(victimPartitions.length, PARTITIONS / 2)
  assert.ok(victimCommitted.size > 0, 'the victim committed nothing')
  // The survivor resumed each of the victim's partitions exactly at the victim's last commit.
  const resumed = firstOffsets(ledger, 'S', killedAt)
  for (const p of victimPartitions) {
    assert.equal(resumed.get(p), victimCommitted.get(p) ?? 0n, `partition ${p}`)
  }
  // Every record at least once; twice exactly those the victim read after its last commit.
  const readAgain = new Set(
    victimReads.filter((r) => r.offset >= (victimCommitted.get(r.partition) ?? 0n)).map((r) => r.seq),
  )
  assert.ok(readAgain.size > 0, 'the victim read nothing past its last commit')
  const all = [...seqs(ledger.records('S')), ...victimReads.map((r) => r.seq)]
  assert.deepEqual(
    checkSequence(all, total, (s) => (readAgain.has(s) ? 2 : 1)),
    [],
  )
  assert.deepEqual(survivor.problems, [])
  assert.deepEqual(checkOwnership(ledger), [])
  const start = new Map(victimPartitions.map((p) => [p, victimCommitted.get(p) ?? 0n]))
  assert.deepEqual(checkOffsets(ledger, BigInt(total / PARTITIONS), start), [])
  t.diagnostic(
    `victim read ${victimReads.length} (${readAgain.size} past its last commit); the survivor took over ${takeOverMs} ms after the kill`,
  )
})

test('a member whose onPartitionsRevoked outlasts the rebalance timeout is fenced: its late commit and its transactional offsets are refused, so nothing it did counts', async (t) => {
  const topic = await randomTopic(t, 'rebalance-late', PARTITIONS)
  const outputs = await randomTopic(t, 'rebalance-late-out', 1)
  const groupId = randomName('rebalance-late')
  const ledger = new Ledger()
  await produce(topic, 0, 600)
  const timeouts = { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 6_000 }
  const producer = new TransactionalProducer({
    bootstrapBrokers: brokers(),
    transactionalId: randomName('tid'),
  })
  t.after(() => producer.close())
  await producer.init()
  let lateMember: GroupMember | undefined
  let transactionalOffsets: unknown
  let lateOutputs: string[] = []
  const a = new Member(t, 'A', ledger, topic, groupId, {
    ...timeouts,
    beforeRevokeCommit: async (member, partitions) => {
      if (lateMember) return
      const c = member.consumer
      lateMember = {
        groupId,
        generationId: c.generationId,
        memberId: c.memberId,
        coordinatorId: c.coordinatorId,
      }
      // Late on purpose: wait until the group has given the partitions to B without A.
      await until(
        () => ledger.events.some((e) => e.kind === 'assign-start' && e.member === 'B'),
        'B to be assigned while A is still in onPartitionsRevoked',
        60_000,
      )
      // What an exactly-once worker does at this point: its outputs and offsets in one transaction.
      await producer.begin()
      lateOutputs = partitions.map((p) => `output of ${p}`)
      await producer.send(lateOutputs.map((value) => ({ topic: outputs, value: Buffer.from(value) })))
      const offsets = partitions.map((p) => ({ topic, partition: p, offset: member.positions.get(p) ?? 0n }))
      try {
        await producer.sendOffsets(lateMember, offsets)
      } catch (error) {
        transactionalOffsets = error
      }
      await producer.abort()
    },
  })
  await a.start()
  await until(() => ledger.records('A').length >= 600, 'A to read 600 records')
  const b = new Member(t, 'B', ledger, topic, groupId, timeouts)
  await b.start()
  await until(
    () => ledger.events.some((e) => e.kind === 'revoked' && e.member === 'A'),
    'A to finish its revocation',
  )
  await until(() => ledger.records('B').length >= 300, 'B to read 300 records')
  await b.close()
  await a.close()

  const late = ledger.events.find((e) => e.kind === 'revoked' && e.member === 'A')!
  // The plain commit: refused, and not retried under a later generation.
  assert.ok(late.error, 'the late commit succeeded')
  assert.equal((late.error as { code?: string }).code, 'FRESHET_KAFKA_ERROR')
  assert.equal((late.error as { details?: { reason?: string } }).details?.reason, 'STALE_GENERATION')
  // The transactional offsets: refused by the coordinator (KIP-447).
  assert.ok(transactionalOffsets, 'the late transactional offsets were accepted')
  const names =
    (transactionalOffsets as { details?: { brokerErrors?: string[] } }).details?.brokerErrors ?? []
  assert.ok(
    names.some((n) => ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'].includes(n)),
    `refused with ${names.join(', ')}`,
  )
  // B was assigned A's partitions while A's callback ran, and read them from offset 0: nothing of
  // A's counted. The late member is the hazard fencing covers; the hand-over check sees it.
  assert.ok(checkOwnership(ledger).some((p) => p.startsWith('B was assigned')))
  const bStart = firstOffsets(ledger, 'B')
  assert.equal(bStart.size, PARTITIONS)
  for (const [p, offset] of bStart) assert.equal(offset, 0n, `B started partition ${p} at ${offset}`)
  // Nothing of the aborted transaction is visible, though its outputs are in the log.
  assert.deepEqual(await readToSentinel(outputs), [], 'an output of the late member is visible')
  const written = await readToSentinel(outputs, { isolationLevel: 'read_uncommitted' })
  assert.ok(lateOutputs.length > 0, 'the late member wrote no output')
  assert.deepEqual(written.map((r) => r.value!.toString()).sort(), [...lateOutputs].sort())
  t.diagnostic(`late transactional offsets refused with ${names.join(', ')}`)
})
