/**
 * The services the fault suite breaks: a broker that clients reach only through a fault proxy and
 * that can be killed, restarted in place, frozen (SIGSTOP) and thawed; and a schema registry in a
 * process of its own that can be killed and restarted on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker, type RunningBroker } from '../../src/stack/broker.ts'
import { freePort, isAlive, watchOwner } from '../../src/stack/processes.ts'
import { FaultProxy, proxiedListeners, type ProxiedPorts } from './fault-proxy.ts'

const LOOPBACK = '127.0.0.1'
const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** A broker behind a fault proxy, on fixed ports and data so that it restarts in place. */
export class FaultyBroker {
  readonly proxy: FaultProxy
  readonly #dir: string
  readonly #ports: ProxiedPorts
  #broker: RunningBroker | undefined
  #frozen = false

  private constructor(dir: string, ports: ProxiedPorts, proxy: FaultProxy) {
    this.#dir = dir
    this.#ports = ports
    this.proxy = proxy
  }

  static async start(): Promise<FaultyBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'freshet-faults-'))
    const ports: ProxiedPorts = {
      proxyPort: await freePort(),
      brokerPort: await freePort(),
      internalPort: await freePort(),
      controllerPort: await freePort(),
    }
    const proxy = await FaultProxy.start({
      target: { host: LOOPBACK, port: ports.brokerPort },
      listenPort: ports.proxyPort,
    })
    const broker = new FaultyBroker(dir, ports, proxy)
    await broker.#start()
    return broker
  }

  /** What clients bootstrap from: the proxy. */
  get bootstrap(): string {
    return this.proxy.address
  }

  /**
   * The broker's inter-broker listener, which the proxy does not stand in front of: a client that
   * bootstraps here is told that listener's address and never meets the proxy's faults.
   */
  get directBootstrap(): string {
    return `${LOOPBACK}:${this.#ports.internalPort}`
  }

  async #start(): Promise<void> {
    this.#broker = await startBroker({
      dir: this.#dir,
      port: this.#ports.brokerPort,
      controllerPort: this.#ports.controllerPort,
      heapMb: 512,
      overrides: {
        ...proxiedListeners(this.#ports),
        // Transactions left open by killed workers are aborted within a second of their timeout.
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000',
      },
    })
    await watchOwner(process.pid, [this.#broker.pid])
  }

  /** SIGKILL, as a crash: no controlled shutdown. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const pid = this.#broker?.pid
    if (pid === undefined || !isAlive(pid)) return
    if (this.#frozen) this.thaw()
    process.kill(pid, 'SIGKILL')
    while (isAlive(pid)) await sleep(50)
  }

  /** Starts the broker again on the same ports and data (after kill(), or stops it first). */
  async restart(): Promise<void> {
    if (this.#frozen) this.thaw()
    await this.#broker?.stop()
    await this.#start()
  }

  /** SIGSTOP: connections stay open and nothing answers, as a broker in a long GC pause. */
  freeze(): void {
    if (this.#broker === undefined) return
    process.kill(this.#broker.pid, 'SIGSTOP')
    this.#frozen = true
  }

  thaw(): void {
    if (this.#broker === undefined || !this.#frozen) return
    process.kill(this.#broker.pid, 'SIGCONT')
    this.#frozen = false
  }

  async stop(): Promise<void> {
    try {
      this.thaw()
      await this.proxy.close()
      await this.#broker?.stop()
    } finally {
      await rm(this.#dir, { recursive: true, force: true })
    }
  }
}

/** `freshet registry` in a process of its own, on a fixed port, that can be killed and restarted. */
export class RegistryProcess {
  readonly #bootstrap: string
  readonly #port: number
  #child: ChildProcess | undefined
  /** What the processes wrote to stderr (their logs), for a failed run. */
  logs = ''

  private constructor(bootstrap: string, port: number) {
    this.#bootstrap = bootstrap
    this.#port = port
  }

  static async start(bootstrap: string): Promise<RegistryProcess> {
    const registry = new RegistryProcess(bootstrap, await freePort())
    await registry.restart()
    return registry
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.#port}`
  }

  /** Starts the process (again) and waits until it answers. */
  async restart(): Promise<void> {
    await this.kill()
    const child = spawn(
      process.execPath,
      [
        CLI_MAIN,
        'registry',
        '--port',
        String(this.#port),
        '--bootstrap',
        this.#bootstrap,
        '--log-format',
        'json',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr?.on('data', (chunk: Buffer) => (this.logs += chunk.toString()))
    this.#child = child
    if (child.pid !== undefined) await watchOwner(process.pid, [child.pid])
    await this.waitServing(120_000)
  }

  /** Waits until the registry lists its subjects: it has read its topic to the end. */
  async waitServing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        const response = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(5_000) })
        if (response.ok) return
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline)
        throw new Error(`the registry at ${this.url} did not serve in time:\n${this.logs}`)
      await sleep(250)
    }
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  stop(): Promise<void> {
    return this.kill()
  }
}
