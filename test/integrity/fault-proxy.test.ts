// The fault proxy the integrity suite puts between Kafka clients and a broker. Each fault is
// checked by its effect on a plain TCP echo server behind the proxy (resets seen by both sides,
// silence under a blackhole, refused connects, order and content under latency and throttle), and
// once end to end: an idempotent producer whose connections are cut while a response is in flight
// still writes every record exactly once, as a consumer reading to per-partition sentinels sees.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { GroupConsumer, KafkaAdmin, KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { FaultyBroker } from './cluster.ts'
import { FaultProxy, type FaultProxyStats } from './fault-proxy.ts'

/** Longest a wait for an event may take before the test fails naming it (a hang, not a timing). */
const WAIT_LIMIT_MS = 20_000
/**
 * How long a check that nothing arrives keeps watching. Loopback delivers in well under a
 * millisecond, so a proxy that forwarded would be caught; a silent one passes whatever the load.
 */
const SILENCE_MS = 250

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

/** A TCP echo server: what a proxied target does, observable from the test. */
interface Echo {
  port: number
  /** Connections it accepted, open now, and bytes it received on all of them. */
  accepted: number
  readonly open: Set<Socket>
  bytesReceived: number
}

async function startEcho(t: TestContext): Promise<Echo> {
  const echo: Echo = { port: 0, accepted: 0, open: new Set(), bytesReceived: 0 }
  const server: Server = createServer((socket) => {
    echo.accepted++
    echo.open.add(socket)
    socket.on('data', (data: Buffer) => (echo.bytesReceived += data.length))
    socket.on('error', () => {})
    socket.on('close', () => echo.open.delete(socket))
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  assert.ok(address !== null && typeof address === 'object')
  echo.port = address.port
  t.after(async () => {
    for (const socket of echo.open) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return echo
}

async function startProxy(t: TestContext, echo: Echo, listenPort?: number): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({
    target: { host: '127.0.0.1', port: echo.port },
    ...(listenPort === undefined ? {} : { listenPort }),
  })
  t.after(() => proxy.close())
  return proxy
}

/** A client connection that keeps what it receives and how it ended. */
class Peer {
  readonly socket: Socket
  #received: Buffer[] = []
  #receivedBytes = 0
  /** Set once the socket closed: the error it closed with, if any. */
  closedWith: { error: NodeJS.ErrnoException | undefined } | undefined
  #error: NodeJS.ErrnoException | undefined
  readonly closed: Promise<void>

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (data: Buffer) => {
      this.#received.push(data)
      this.#receivedBytes += data.length
    })
    socket.on('error', (error: NodeJS.ErrnoException) => (this.#error = error))
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedWith = { error: this.#error }
        resolve()
      }),
    )
  }

  /** Connects; rejects with the connect error (ECONNREFUSED) when it fails. */
  static open(t: TestContext, port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        t.after(() => socket.destroy())
        resolve(new Peer(socket))
      })
    })
  }

  get received(): Buffer {
    return Buffer.concat(this.#received)
  }

  /** Resolves with everything received once at least `bytes` have come. */
  async receive(bytes: number): Promise<Buffer> {
    await until(
      () => this.#receivedBytes >= bytes || this.closedWith !== undefined,
      `${bytes} bytes (${this.#receivedBytes} so far)`,
    )
    assert.ok(
      this.#receivedBytes >= bytes,
      `the connection closed after ${this.#receivedBytes} of ${bytes} bytes`,
    )
    return this.received
  }

  /** Writes `text` and resolves once it is echoed back after everything received before. */
  async echo(text: string): Promise<void> {
    const before = this.#receivedBytes
    this.socket.write(text)
    const all = await this.receive(before + Buffer.byteLength(text))
    assert.equal(all.subarray(before).toString(), text)
  }
}

test('forwards both directions and counts the bytes; a clean close closes the connection', async (t) => {
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const peer = await Peer.open(t, proxy.port)
  await peer.echo('hello through the proxy')
  assert.equal(echo.bytesReceived, 23)
  let stats = proxy.stats()
  assert.equal(stats.accepted, 1)
  assert.equal(stats.open, 1)
  assert.equal(stats.toTarget.bytes, 23)
  assert.equal(stats.toClient.bytes, 23)

  peer.socket.end()
  await peer.closed
  assert.equal(peer.closedWith?.error, undefined)
  await until(() => proxy.stats().open === 0 && echo.open.size === 0, 'both sides to close')
  stats = proxy.stats()
  assert.equal(stats.toTarget.droppedBytes + stats.toClient.droppedBytes, 0)
})

test('cut() resets every open connection on both sides; new connections are forwarded', async (t) => {
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const peers = [await Peer.open(t, proxy.port), await Peer.open(t, proxy.port)]
  for (const [i, peer] of peers.entries()) await peer.echo(`before the cut ${i}`)
  assert.equal(echo.open.size, 2)

  proxy.cut()
  assert.equal(proxy.stats().open, 0)
  await Promise.all(peers.map((peer) => peer.closed))
  for (const peer of peers) assert.equal(peer.closedWith?.error?.code, 'ECONNRESET')
  await until(() => echo.open.size === 0, 'the target side of the cut connections to close')

  const after = await Peer.open(t, proxy.port)
  await after.echo('after the cut')
  const stats = proxy.stats()
  assert.equal(stats.faults.cuts, 1)
  assert.equal(stats.faults.connectionsCut, 2)
  assert.equal(stats.accepted, 3)
  assert.equal(stats.open, 1)
})

test('blackhole: reads but forwards and answers nothing; when it ends those connections are dropped', async (t) => {
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const before = await Peer.open(t, proxy.port)
  await before.echo('a1')

  proxy.blackhole(true)
  const during = await Peer.open(t, proxy.port)
  before.socket.write('a2')
  during.socket.write('b1')
  await until(() => proxy.stats().faults.bytesBlackholed === 4, 'the proxy to read both requests')
  await sleep(SILENCE_MS)
  assert.equal(before.received.toString(), 'a1', 'no answer on the connection opened before')
  assert.equal(during.received.length, 0, 'no answer on the connection opened during')
  assert.equal(before.closedWith, undefined, 'connections stay open under a blackhole')
  assert.equal(during.closedWith, undefined)
  assert.equal(echo.bytesReceived, 2, 'nothing reached the target')
  assert.equal(echo.accepted, 1, 'the connection opened during the blackhole never reached the target')

  proxy.blackhole(false)
  await Promise.all([before.closed, during.closed])
  const after = await Peer.open(t, proxy.port)
  await after.echo('c1')
  const stats = proxy.stats()
  assert.equal(stats.faults.blackholes, 1)
  assert.equal(stats.faults.connectionsBlackholed, 2)
  assert.equal(stats.toTarget.droppedBytes, 4)
  assert.equal(echo.accepted, 2)
})

test('refuse: connects fail with ECONNREFUSED, then the same port accepts again', async (t) => {
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const port = proxy.port
  const open = await Peer.open(t, port)

  await proxy.refuse(true)
  await assert.rejects(Peer.open(t, port), { code: 'ECONNREFUSED' })
  // Only the listening socket is gone: an open connection carries on (cut() ends those).
  await open.echo('still open')

  await proxy.refuse(false)
  assert.equal(proxy.port, port)
  const again = await Peer.open(t, port)
  await again.echo('listening again')
  assert.equal(proxy.stats().faults.refusals, 1)
  assert.equal(proxy.stats().accepted, 2)
})

test('latency delays every chunk both ways by at least ms, keeping order and content; 0 releases what waits', async (t) => {
  const LATENCY_MS = 40
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const peer = await Peer.open(t, proxy.port)
  proxy.latency(LATENCY_MS)

  // A round trip crosses the proxy twice.
  const startMs = performance.now()
  await peer.echo('first')
  assert.ok(performance.now() - startMs >= 2 * LATENCY_MS, 'the round trip waited out the latency twice')

  // Separate chunks, read at different times, queued together: delivered in the order written.
  const messages = Array.from({ length: 200 }, (_, i) => `message ${i};`)
  for (const message of messages) {
    peer.socket.write(message)
    await new Promise((resolve) => setImmediate(resolve))
  }
  const expected = `first${messages.join('')}`
  assert.equal((await peer.receive(Buffer.byteLength(expected))).toString(), expected)
  assert.ok(proxy.stats().faults.chunksDelayed >= 4)

  proxy.latency(3_600_000)
  peer.socket.write('held')
  await until(() => proxy.stats().toTarget.queuedBytes === 4, 'the proxy to hold the chunk')
  proxy.latency(0)
  assert.equal((await peer.receive(Buffer.byteLength(expected) + 4)).toString(), `${expected}held`)
  assert.equal(proxy.stats().faults.latencies, 2)
})

test('throttle: 1 MiB echoed intact and in order, taking at least its size over the rate', async (t) => {
  const BYTES = 1024 * 1024
  const RATE_BYTES_PER_SEC = 512 * 1024
  const echo = await startEcho(t)
  const proxy = await startProxy(t, echo)
  const peer = await Peer.open(t, proxy.port)
  const payload = randomBytes(BYTES)
  proxy.throttle(RATE_BYTES_PER_SEC)

  const startMs = performance.now()
  peer.socket.write(payload)
  const received = await peer.receive(BYTES)
  const elapsedMs = performance.now() - startMs
  assert.ok(received.equals(payload), 'the bytes came back intact and in order')
  assert.ok(
    elapsedMs >= (BYTES / RATE_BYTES_PER_SEC) * 1000,
    `1 MiB at ${RATE_BYTES_PER_SEC} B/s took ${elapsedMs} ms`,
  )
  const stats = proxy.stats()
  assert.equal(stats.toTarget.bytes, BYTES)
  assert.equal(stats.toClient.bytes, BYTES)
  assert.ok(stats.faults.slicesThrottled >= (2 * BYTES) / (64 * 1024))

  proxy.throttle(Infinity)
  const slices = proxy.stats().faults.slicesThrottled
  await peer.echo('unthrottled')
  assert.equal(proxy.stats().faults.slicesThrottled, slices)
  assert.equal(proxy.stats().faults.throttles, 1)
})

test('rejects bad faults and options, naming them', async (t) => {
  const echo = await startEcho(t)
  await assert.rejects(
    FaultProxy.start({ target: { host: '127.0.0.1', port: echo.port }, listenPort: -1 }),
    /listenPort/,
  )
  await assert.rejects(
    FaultProxy.start({ target: { host: '127.0.0.1', port: echo.port }, extra: 1 } as never),
    /unknown option "extra"/,
  )
  const proxy = await startProxy(t, echo)
  assert.throws(() => proxy.latency(-1), /latency/)
  assert.throws(() => proxy.throttle(0), /throttle/)
  await proxy.close()
  assert.throws(() => proxy.cut(), { code: 'FRESHET_INVALID_STATE' })
})

// Run in a process of its own: a process ends by itself only when nothing keeps it alive, which
// is what the test runner needs of the proxy after close().
const CLOSE_SCRIPT = `
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { FaultProxy } from ${JSON.stringify(new URL('./fault-proxy.ts', import.meta.url).href)}
const echo = createServer((socket) => socket.pipe(socket).on('error', () => {}))
await new Promise((resolve) => echo.listen(0, '127.0.0.1', resolve))
const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: echo.address().port } })
const socket = connect({ host: '127.0.0.1', port: proxy.port }).on('error', () => {})
await new Promise((resolve) => socket.once('connect', resolve))
socket.write('first')
await new Promise((resolve) => socket.once('data', resolve))
// Chunks held by an hour of latency and a byte a second keep timers pending in the proxy.
proxy.latency(3_600_000)
proxy.throttle(1)
socket.write('held')
while (proxy.stats().toTarget.queuedBytes < 4) await sleep(2)
await proxy.close()
echo.close()
await new Promise((resolve) => socket.once('close', resolve))
console.log(JSON.stringify(proxy.stats()))
`

test('close() leaves no socket or timer behind: a process using the proxy exits by itself', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLOSE_SCRIPT], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const limit = new AbortController()
  const code = await Promise.race([
    exited,
    sleep(WAIT_LIMIT_MS, 'still running' as const, { signal: limit.signal }),
  ])
  limit.abort()
  if (code === 'still running') child.kill('SIGKILL')
  assert.equal(code, 0, `the process ended by itself (output: ${stdout})`)
  const stats = JSON.parse(stdout) as FaultProxyStats
  assert.equal(stats.open, 0)
  assert.equal(stats.toTarget.droppedBytes, 4, 'the held chunk was dropped by close()')
})

test('a proxy on a fixed port starts again in place after close()', async (t) => {
  const echo = await startEcho(t)
  const port = await freePort()
  const first = await startProxy(t, echo, port)
  await (await Peer.open(t, port)).echo('first')
  await first.close()
  await assert.rejects(Peer.open(t, port), { code: 'ECONNREFUSED' })

  const second = await startProxy(t, echo, port)
  assert.equal(second.port, port)
  await (await Peer.open(t, port)).echo('second')
})

test(
  'kafka: an idempotent producer whose connections are cut mid-request writes every record once',
  { timeout: 300_000 },
  async (t) => {
    const COUNT = 3_000
    const CHUNK = 100
    const PARTITIONS = 3
    const stack = await FaultyBroker.start()
    t.after(() => stack.stop())
    const { proxy, bootstrap } = stack
    const topic = `fault-proxy-${randomUUID()}`
    const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap] })
    try {
      await admin.createTopics([{ topic, partitions: PARTITIONS }])
    } finally {
      await admin.close()
    }

    const producer = new KafkaProducer({
      bootstrapBrokers: [bootstrap],
      retries: 20,
      requestTimeoutMs: 10_000,
    })
    t.after(() => producer.close())
    const record = (seq: number): OutRecord => ({
      topic,
      partition: seq % PARTITIONS,
      key: Buffer.from(String(seq)),
      value: Buffer.from(JSON.stringify({ seq })),
    })
    // Responses wait in the proxy, so that the cut can catch one the broker has already written.
    proxy.latency(20)
    let cutAt: number | undefined
    for (let from = 0; from < COUNT; from += CHUNK) {
      const sent = producer.send(Array.from({ length: CHUNK }, (_, i) => record(from + i)))
      if (cutAt === undefined && from >= COUNT / 2) {
        let settled = false
        void sent.then(
          () => (settled = true),
          () => (settled = true),
        )
        while (!settled && proxy.stats().toClient.queuedBytes === 0) await sleep(1)
        // Only a response lost on its way back makes the producer retry what the broker has
        // written: cut while one waits in the proxy.
        if (!settled) {
          proxy.cut()
          cutAt = from
        }
      }
      await sent
    }
    assert.notEqual(cutAt, undefined, 'a response in flight was cut')
    proxy.latency(0)
    // One sentinel per partition: a reader stops there, so anything extra before it fails the test.
    await producer.send(
      Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic,
        partition,
        key: null,
        value: Buffer.from('end'),
      })),
    )

    const beforeRead = proxy.stats().toClient.bytes
    const consumer = new GroupConsumer({
      bootstrapBrokers: [bootstrap],
      groupId: `fault-proxy-${randomUUID()}`,
      topics: [topic],
      fromBeginning: true,
      maxWaitMs: 100,
    })
    t.after(() => consumer.close())
    await consumer.start()
    const seqs: number[][] = Array.from({ length: PARTITIONS }, () => [])
    const ended = new Set<number>()
    let valueBytes = 0
    while (ended.size < PARTITIONS) {
      for (const r of await consumer.nextBatch()) {
        const value = r.value as Buffer
        valueBytes += value.length
        if (value.toString() === 'end') ended.add(r.partition)
        else {
          assert.ok(!ended.has(r.partition), `a record after the sentinel in partition ${r.partition}`)
          seqs[r.partition]?.push((JSON.parse(value.toString()) as { seq: number }).seq)
        }
      }
    }
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const expected = Array.from({ length: COUNT / PARTITIONS }, (_, i) => i * PARTITIONS + partition)
      assert.deepEqual(seqs[partition], expected, `partition ${partition}: every record once, in order`)
    }

    const stats = proxy.stats()
    assert.equal(stats.faults.cuts, 1)
    assert.ok(stats.faults.connectionsCut >= 1)
    assert.ok(stats.toClient.droppedBytes > 0, 'a response was lost in the cut')
    assert.ok(stats.accepted > stats.faults.connectionsCut, 'the clients connected again after the cut')
    assert.ok(stats.toTarget.bytes > COUNT * 10, 'the records went through the proxy')
    assert.ok(stats.toClient.bytes - beforeRead >= valueBytes, 'the consumer fetched through the proxy')
  },
)
