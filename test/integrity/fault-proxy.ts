/**
 * A TCP proxy on loopback that the integrity suite puts between Kafka clients and a broker, to
 * break the network between them on demand: connection resets (`cut`), a hung route
 * (`blackhole`), refused connects (`refuse`), `latency` and a bandwidth cap (`throttle`). Every
 * fault can be switched at any time and applies to open and new connections alike; `stats()`
 * counts what each fault did, so that a test can assert that the fault really happened.
 *
 * Each accepted connection is a pair of sockets (client side, target side) joined by two lanes,
 * one per direction. A chunk read from one side goes through these steps:
 *   1. Read while the proxy blackholes: discarded and counted, never queued.
 *   2. Queued in its lane, behind every chunk read before it (order is never changed).
 *   3. Held until `latencyMs` has passed since it was read, with the latency in force when it is
 *      delivered: switching latency off releases what waits at once.
 *   4. Under a throttle, delivered in slices of about 10 ms of transfer each, a slice only once the
 *      direction's link (shared by all connections) has had the time to carry it at the cap.
 *   5. Written to the other side; while that side's buffer is full the lane waits for 'drain', and
 *      while a lane holds more than HIGH_WATER_BYTES its source is paused (TCP backpressure).
 *
 * Kafka brokers advertise their own address in metadata, so a client bootstrapped through the
 * proxy would connect to the broker directly afterwards: `proxiedListeners()` has a broker
 * advertise the proxy's port instead (`FaultyBroker` in ./cluster.ts starts one).
 */
import { createServer, type Server, type Socket, connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { FreshetError } from '../../src/errors/index.ts'
import { checks, requireOptions, validateOptions, type Spec } from '../../src/options/index.ts'

const LOOPBACK = '127.0.0.1'
/** Queued bytes in one lane above which its source is paused, and below which it resumes. */
const HIGH_WATER_BYTES = 256 * 1024
const LOW_WATER_BYTES = 64 * 1024
/** A throttled lane delivers slices of this much transfer time, at most MAX_SLICE_BYTES each. */
const SLICE_MS = 10
const MAX_SLICE_BYTES = 64 * 1024

export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded. */
  target: { host: string; port: number }
  /** Port to listen on, on 127.0.0.1; 0 (the default) takes a free one. */
  listenPort?: number
}

const optionsSpec: Spec<FaultProxyOptions> = {
  target: {
    check: (where, key, value) => {
      const target = value as { host?: unknown; port?: unknown } | null
      if (
        target === null ||
        typeof target !== 'object' ||
        typeof target.host !== 'string' ||
        target.host.length === 0 ||
        typeof target.port !== 'number' ||
        !Number.isInteger(target.port) ||
        target.port < 1 ||
        target.port > 65_535
      ) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be { host, port } with a port in [1, 65535], got ${JSON.stringify(value)}`,
          { details: { option: key } },
        )
      }
      return { host: target.host, port: target.port }
    },
  },
  listenPort: { check: checks.int(0, 65_535), default: 0 },
}

/** Traffic in one direction. */
export interface DirectionStats {
  /** Bytes delivered to the other side. */
  bytes: number
  /** Bytes read and waiting in the proxy now (latency, throttle, backpressure). */
  queuedBytes: number
  /** Bytes read and never delivered: dropped by a cut, a blackhole, or a side closing first. */
  droppedBytes: number
}

/** What each fault did since the proxy started. */
export interface FaultCounts {
  /** cut() calls, and the connections they destroyed. */
  cuts: number
  connectionsCut: number
  /** Times blackhole was switched on, bytes read and discarded under it, connections it ended. */
  blackholes: number
  bytesBlackholed: number
  connectionsBlackholed: number
  /** Times refuse was switched on. */
  refusals: number
  /** Times a latency above 0 was set, and chunks delivered while one was in force. */
  latencies: number
  chunksDelayed: number
  /** Times a finite throttle was set, and slices delivered under one. */
  throttles: number
  slicesThrottled: number
}

export interface FaultProxyStats {
  /** Connections accepted since start. */
  accepted: number
  /** Connections open now. */
  open: number
  /** Client to target (requests). */
  toTarget: DirectionStats
  /** Target to client (responses). */
  toClient: DirectionStats
  faults: FaultCounts
}

/** The faults in force; every lane reads them at each step. */
interface Faults {
  latencyMs: number
  bytesPerSec: number
  blackhole: boolean
}

/** One direction's link, shared by every connection: when it can start carrying the next slice. */
interface Link {
  freeAtMs: number
}

interface Chunk {
  data: Buffer
  readAtMs: number
}

/** Destroys a socket with a TCP reset, as a network failure would; one still connecting is just destroyed. */
function reset(socket: Socket): void {
  if (socket.destroyed) return
  if (socket.connecting) socket.destroy()
  else socket.resetAndDestroy()
}

/** One direction of one connection: the queue of chunks read from `source` for `destination`. */
class Lane {
  readonly #source: Socket
  readonly #destination: Socket
  readonly #faults: Faults
  readonly #link: Link
  readonly #stats: DirectionStats
  readonly #counts: FaultCounts
  #queue: Chunk[] = []
  #queuedBytes = 0
  #timer: NodeJS.Timeout | undefined
  /** The slice the link has been booked for, and when the link has carried it. */
  #booking: { bytes: number; deliverAtMs: number } | undefined
  #waitingForDrain = false
  #sourcePaused = false
  #sourceEnded = false
  #done = false

  constructor(
    source: Socket,
    destination: Socket,
    faults: Faults,
    link: Link,
    stats: DirectionStats,
    counts: FaultCounts,
  ) {
    this.#source = source
    this.#destination = destination
    this.#faults = faults
    this.#link = link
    this.#stats = stats
    this.#counts = counts
  }

  push(data: Buffer): void {
    if (this.#done) {
      this.#stats.droppedBytes += data.length
      return
    }
    // Step 2
    this.#queue.push({ data, readAtMs: performance.now() })
    this.#queuedBytes += data.length
    this.#stats.queuedBytes += data.length
    if (this.#queuedBytes > HIGH_WATER_BYTES && !this.#sourcePaused) {
      this.#sourcePaused = true
      this.#source.pause()
    }
    this.pump()
  }

  /** The source ended (FIN): end the destination once everything queued is delivered. */
  sourceEnded(): void {
    this.#sourceEnded = true
    this.pump()
  }

  /** Forgets the pending wait and booking so that changed faults take effect now. */
  reschedule(throttleChanged: boolean): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (throttleChanged) this.#booking = undefined
    this.pump()
  }

  /** Drops everything queued (counted as dropped) and lets the source flow again. */
  discardQueue(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#booking = undefined
    this.#stats.droppedBytes += this.#queuedBytes
    this.#stats.queuedBytes -= this.#queuedBytes
    this.#queue = []
    this.#queuedBytes = 0
    if (this.#sourcePaused) {
      this.#sourcePaused = false
      this.#source.resume()
    }
  }

  /** Stops for good: the connection is gone. */
  close(): void {
    this.discardQueue()
    this.#done = true
  }

  pump(): void {
    if (this.#done || this.#timer !== undefined || this.#waitingForDrain || this.#faults.blackhole) return
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Chunk
      const nowMs = performance.now()
      // Step 3
      const readyAtMs = head.readAtMs + this.#faults.latencyMs
      if (nowMs < readyAtMs) return this.#wakeIn(readyAtMs - nowMs)
      let bytes = head.data.length
      // Step 4
      const throttled = Number.isFinite(this.#faults.bytesPerSec)
      if (throttled) {
        if (this.#booking === undefined) {
          const rate = this.#faults.bytesPerSec
          bytes = Math.min(
            bytes,
            Math.max(1, Math.min(MAX_SLICE_BYTES, Math.floor((rate * SLICE_MS) / 1000))),
          )
          this.#link.freeAtMs = Math.max(nowMs, this.#link.freeAtMs) + (bytes * 1000) / rate
          this.#booking = { bytes, deliverAtMs: this.#link.freeAtMs }
        }
        // Never early by the clock this proxy books with, whatever the timer's rounding did.
        if (nowMs < this.#booking.deliverAtMs) return this.#wakeIn(this.#booking.deliverAtMs - nowMs)
        bytes = this.#booking.bytes
        this.#booking = undefined
        this.#counts.slicesThrottled++
      }
      // Step 5
      const slice = bytes === head.data.length ? head.data : head.data.subarray(0, bytes)
      if (bytes === head.data.length) {
        this.#queue.shift()
        if (this.#faults.latencyMs > 0) this.#counts.chunksDelayed++
      } else {
        head.data = head.data.subarray(bytes)
      }
      this.#queuedBytes -= bytes
      this.#stats.queuedBytes -= bytes
      this.#stats.bytes += bytes
      if (this.#sourcePaused && this.#queuedBytes < LOW_WATER_BYTES) {
        this.#sourcePaused = false
        this.#source.resume()
      }
      if (!this.#destination.write(slice)) {
        this.#waitingForDrain = true
        this.#destination.once('drain', () => {
          this.#waitingForDrain = false
          this.pump()
        })
        return
      }
    }
    if (this.#sourceEnded) {
      this.#done = true
      this.#destination.end()
    }
  }

  #wakeIn(delayMs: number): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        this.pump()
      },
      Math.max(1, Math.ceil(delayMs)),
    )
  }
}

/** A client socket, the socket to the target opened for it, and the two lanes between them. */
class Connection {
  readonly client: Socket
  readonly #target: Socket | undefined
  readonly #lanes: Lane[] = []
  readonly #onGone: (connection: Connection) => void
  #gone = false

  /**
   * Without a `target` (accepted under a blackhole) no connection to the target is opened: the
   * client's bytes are read and discarded until the blackhole ends, and the connection with it.
   * A target that cannot be reached (the broker is down) resets the client's connection.
   */
  constructor(
    client: Socket,
    target: { host: string; port: number } | undefined,
    proxy: { faults: Faults; links: Record<'toTarget' | 'toClient', Link>; stats: FaultProxyStats },
    onGone: (connection: Connection) => void,
  ) {
    this.client = client
    this.#onGone = onGone
    const { faults, links, stats } = proxy
    const discard = (data: Buffer, direction: DirectionStats): void => {
      direction.droppedBytes += data.length
      stats.faults.bytesBlackholed += data.length
    }
    client.on('error', () => this.destroy('reset'))
    if (target === undefined) {
      client.on('data', (data: Buffer) => discard(data, stats.toTarget))
      client.on('end', () => this.destroy('reset'))
      client.on('close', () => this.destroy('reset'))
      return
    }
    const targetSocket = connect({ host: target.host, port: target.port, allowHalfOpen: true })
    this.#target = targetSocket
    const toTarget = new Lane(client, targetSocket, faults, links.toTarget, stats.toTarget, stats.faults)
    const toClient = new Lane(targetSocket, client, faults, links.toClient, stats.toClient, stats.faults)
    this.#lanes.push(toTarget, toClient)
    // Step 1
    client.on('data', (data: Buffer) =>
      faults.blackhole ? discard(data, stats.toTarget) : toTarget.push(data),
    )
    targetSocket.on('data', (data: Buffer) =>
      faults.blackhole ? discard(data, stats.toClient) : toClient.push(data),
    )
    client.on('end', () => (faults.blackhole ? this.destroy('reset') : toTarget.sourceEnded()))
    // A hung route tells the client nothing: what the target does then stays unseen until the
    // blackhole ends, which ends this connection anyway.
    targetSocket.on('end', () => {
      if (!faults.blackhole) toClient.sourceEnded()
    })
    targetSocket.on('error', () => {
      if (!faults.blackhole) this.destroy('reset')
    })
    // A side that closed cleanly has ended both ways (allowHalfOpen): the other is ending too.
    client.on('close', (hadError: boolean) => (hadError ? this.destroy('reset') : this.#closedCleanly()))
    targetSocket.on('close', (hadError: boolean) => {
      if (faults.blackhole) return
      if (hadError) this.destroy('reset')
      else this.#closedCleanly()
    })
  }

  /** Under a blackhole: nothing queued is ever delivered, and the sources must keep flowing. */
  silence(): void {
    for (const lane of this.#lanes) lane.discardQueue()
  }

  reschedule(throttleChanged: boolean): void {
    for (const lane of this.#lanes) lane.reschedule(throttleChanged)
  }

  #closedCleanly(): void {
    if (this.client.destroyed && (this.#target === undefined || this.#target.destroyed)) this.destroy('close')
  }

  /** Ends both sides, with a TCP reset ('reset') or a plain close; what is queued is dropped. */
  destroy(how: 'reset' | 'close'): void {
    if (this.#gone) return
    this.#gone = true
    for (const lane of this.#lanes) lane.close()
    for (const socket of [this.client, this.#target]) {
      if (socket === undefined) continue
      if (how === 'reset') reset(socket)
      else socket.destroy()
    }
    this.#onGone(this)
  }
}

/**
 * A TCP proxy on 127.0.0.1 forwarding every connection to `target`, with faults switched by the
 * test. Start it with `FaultProxy.start()`, end it with `close()`, which leaves no socket or timer.
 */
export class FaultProxy {
  readonly #target: { host: string; port: number }
  #port: number
  #server: Server | undefined
  #closed = false
  #refusing = false
  readonly #connections = new Set<Connection>()
  readonly #faults: Faults = { latencyMs: 0, bytesPerSec: Infinity, blackhole: false }
  readonly #links: Record<'toTarget' | 'toClient', Link> = {
    toTarget: { freeAtMs: 0 },
    toClient: { freeAtMs: 0 },
  }
  readonly #stats: FaultProxyStats = {
    accepted: 0,
    open: 0,
    toTarget: { bytes: 0, queuedBytes: 0, droppedBytes: 0 },
    toClient: { bytes: 0, queuedBytes: 0, droppedBytes: 0 },
    faults: {
      cuts: 0,
      connectionsCut: 0,
      blackholes: 0,
      bytesBlackholed: 0,
      connectionsBlackholed: 0,
      refusals: 0,
      latencies: 0,
      chunksDelayed: 0,
      throttles: 0,
      slicesThrottled: 0,
    },
  }

  private constructor(target: { host: string; port: number }, port: number) {
    this.#target = target
    this.#port = port
  }

  /** Listens on 127.0.0.1 (`listenPort`, or a free port) and resolves once it accepts connections. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const resolved = validateOptions('FaultProxy', options, optionsSpec)
    requireOptions('FaultProxy', resolved, ['target'])
    const proxy = new FaultProxy(resolved.target, resolved.listenPort ?? 0)
    await proxy.#listen()
    return proxy
  }

  get host(): string {
    return LOOPBACK
  }

  /** The port it listens on (kept across `refuse`, so clients find it again). */
  get port(): number {
    return this.#port
  }

  /** host:port of the proxy, as a bootstrap address. */
  get address(): string {
    return `${LOOPBACK}:${this.#port}`
  }

  /** Destroys every open connection at once, both sides, with a TCP reset; new ones are forwarded. */
  cut(): void {
    this.#assertOpen('cut')
    this.#stats.faults.cuts++
    for (const connection of [...this.#connections]) {
      this.#stats.faults.connectionsCut++
      connection.destroy('reset')
    }
  }

  /**
   * On: connections are accepted and read from, but nothing is forwarded either way and nothing is
   * answered, as with a hung broker or a dropped route; new connections do not reach the target.
   * Off: every connection open during the blackhole is destroyed, since the bytes it swallowed
   * leave a hole in the stream that no protocol resumes from (a client would time out its request
   * and reconnect anyway); new connections are forwarded again.
   */
  blackhole(on: boolean): void {
    this.#assertOpen('blackhole')
    if (typeof on !== 'boolean') throw this.#invalid('blackhole', 'a boolean', on)
    if (on === this.#faults.blackhole) return
    this.#faults.blackhole = on
    if (on) {
      this.#stats.faults.blackholes++
      for (const connection of this.#connections) connection.silence()
      return
    }
    for (const connection of [...this.#connections]) {
      this.#stats.faults.connectionsBlackholed++
      connection.destroy('reset')
    }
  }

  /**
   * On: closes the listening socket, so that connects are refused (ECONNREFUSED) as by a dead
   * broker; open connections are left as they are (add `cut()` for a crash). Off: listens again on
   * the same port. Resolves once the change is in effect.
   */
  async refuse(on: boolean): Promise<void> {
    this.#assertOpen('refuse')
    if (typeof on !== 'boolean') throw this.#invalid('refuse', 'a boolean', on)
    if (on === this.#refusing) return
    this.#refusing = on
    if (!on) {
      await this.#listen()
      return
    }
    this.#stats.faults.refusals++
    this.#stopListening()
  }

  /** Delays every chunk, both ways, by `ms` after it was read, keeping order; 0 switches it off. */
  latency(ms: number): void {
    this.#assertOpen('latency')
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw this.#invalid('latency', 'a finite number of ms >= 0', ms)
    if (ms > 0) this.#stats.faults.latencies++
    this.#faults.latencyMs = ms
    for (const connection of this.#connections) connection.reschedule(false)
  }

  /** Caps the throughput of each direction at `bytesPerSec`, keeping order; Infinity switches it off. */
  throttle(bytesPerSec: number): void {
    this.#assertOpen('throttle')
    if (typeof bytesPerSec !== 'number' || Number.isNaN(bytesPerSec) || bytesPerSec <= 0)
      throw this.#invalid('throttle', 'a number of bytes per second > 0, or Infinity', bytesPerSec)
    if (Number.isFinite(bytesPerSec)) this.#stats.faults.throttles++
    this.#faults.bytesPerSec = bytesPerSec
    // A new rate starts from an idle link: bookings made at the old rate no longer hold.
    this.#links.toTarget.freeAtMs = 0
    this.#links.toClient.freeAtMs = 0
    for (const connection of this.#connections) connection.reschedule(true)
  }

  /** A snapshot of the counters. */
  stats(): FaultProxyStats {
    return {
      ...this.#stats,
      open: this.#connections.size,
      toTarget: { ...this.#stats.toTarget },
      toClient: { ...this.#stats.toClient },
      faults: { ...this.#stats.faults },
    }
  }

  /** Stops listening and destroys every connection; no socket or timer of the proxy is left. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopListening()
    for (const connection of [...this.#connections]) connection.destroy('close')
  }

  #accept(client: Socket): void {
    if (this.#closed) {
      client.destroy()
      return
    }
    this.#stats.accepted++
    const connection = new Connection(
      client,
      this.#faults.blackhole ? undefined : this.#target,
      { faults: this.#faults, links: this.#links, stats: this.#stats },
      (gone) => this.#connections.delete(gone),
    )
    this.#connections.add(connection)
  }

  async #listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.#accept(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, LOOPBACK, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // Accept errors (EMFILE) after listening: the client sees its connect fail, nothing else to do.
    server.on('error', () => {})
    const address = server.address()
    if (address === null || typeof address === 'string')
      throw new FreshetError('INVALID_STATE', 'FaultProxy: the server has no TCP address')
    this.#port = address.port
    // close() or refuse(true) came while it was starting to listen: they win.
    if (this.#closed || this.#refusing) server.close()
    else this.#server = server
  }

  #stopListening(): void {
    // close() closes the listening handle at once; its callback would wait for the connections
    // it accepted, which the proxy tracks itself.
    this.#server?.close()
    this.#server = undefined
  }

  #assertOpen(method: string): void {
    if (this.#closed)
      throw new FreshetError('INVALID_STATE', `FaultProxy.${method}: the proxy is closed`, {
        details: { state: 'closed' },
      })
  }

  #invalid(method: string, expected: string, value: unknown): FreshetError {
    return new FreshetError(
      'INVALID_OPTION',
      `FaultProxy.${method}: expected ${expected}, got ${String(value)}`,
      { details: { option: method, expected } },
    )
  }
}

/** The ports of a broker whose clients go through a proxy. */
export interface ProxiedPorts {
  /** Where the broker listens for clients; only the proxy connects here. */
  brokerPort: number
  /** What the broker advertises for clients: the proxy's port. */
  proxyPort: number
  /** The broker's listener for its own requests to itself (transaction markers); never proxied. */
  internalPort: number
  controllerPort: number
}

/**
 * server.properties entries for `startBroker({ overrides })`: clients are told to reach the broker
 * at the proxy's port, while the controller and the broker's requests to itself (an INTERNAL
 * listener, used for writing transaction markers) bypass the proxy, so that a fault cuts the
 * clients off and nothing else.
 */
export function proxiedListeners(ports: ProxiedPorts): Record<string, string> {
  const { brokerPort, proxyPort, internalPort, controllerPort } = ports
  return {
    listeners: [
      `PLAINTEXT://${LOOPBACK}:${brokerPort}`,
      `INTERNAL://${LOOPBACK}:${internalPort}`,
      `CONTROLLER://${LOOPBACK}:${controllerPort}`,
    ].join(','),
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${proxyPort},INTERNAL://${LOOPBACK}:${internalPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
  }
}
