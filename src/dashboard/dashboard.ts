/**
 * The live dashboard: a web page on localhost that shows the pipeline at a glance, kept current by
 * server-sent events (no page reloads, no polling from the page).
 *
 *   GET /             the page (page/index.html, app.js, style.css: no build step, no CDN)
 *   GET /api/state    the whole picture as JSON: health, jobs, analytics and the sample history
 *   GET /api/events   text/event-stream: `snapshot` (the whole picture) once, then `sample` (the
 *                     newest sample and state) every `sampleIntervalMs`
 *
 * Running, as numbered steps:
 *   1. Validate the options; load the page's files.
 *   2. Find the results topic's partitions and start following it (ResultsTail) into the
 *      AnalyticsBoard.
 *   3. Listen; take a sample every interval and push it to every connected page.
 *   4. close(): stop sampling, end the event streams, stop following, close the server.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { KafkaAdmin } from '../kafka/index.ts'
import { validateOptions } from '../options/index.ts'
import type { WorkerEvent } from '../runtime/index.ts'
import { AnalyticsBoard } from './analytics.ts'
import { DashboardCollector, type DashboardState, type Sample } from './collector.ts'
import { dashboardSpec, type DashboardOptions } from './options.ts'
import { ResultsTail } from './results.ts'

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}

export class Dashboard {
  readonly #options: DashboardOptions
  readonly #admin: KafkaAdmin
  readonly #board: AnalyticsBoard
  readonly #collector: DashboardCollector
  readonly #streams = new Set<ServerResponse>()
  readonly #page = new Map<string, Buffer>()
  #tail: ResultsTail | undefined
  #server: Server | undefined
  #timer: NodeJS.Timeout | undefined
  #sampling: Promise<void> = Promise.resolve()
  #url: string | undefined
  #lastError: FreshetError | undefined

  constructor(options: DashboardOptions) {
    // Step 1
    this.#options = validateOptions('Dashboard', options, dashboardSpec)
    const o = this.#options
    this.#admin = new KafkaAdmin({
      bootstrapBrokers: o.bootstrapBrokers,
      clientId: 'freshet-dashboard',
      requestTimeoutMs: 5_000,
      retries: 1,
    })
    this.#board = new AnalyticsBoard()
    const registry = o.registry
    this.#collector = new DashboardCollector({
      title: o.title ?? 'freshet',
      jobs: o.jobs,
      admin: this.#admin,
      ...(registry === undefined
        ? {}
        : {
            registryCheck: async () => {
              const subjects = await registry.listSubjects()
              return `${subjects.length} subject${subjects.length === 1 ? '' : 's'}`
            },
          }),
      analytics: () => this.#board.snapshot(),
      historyMs: o.historyMs ?? 300_000,
      latencyWindowMs: o.latencyWindowMs ?? 30_000,
      healthIntervalMs: 5_000,
    })
  }

  /** `http://host:port` once started. */
  get url(): string {
    if (this.#url === undefined) throw new FreshetError('INVALID_STATE', 'Dashboard.url: call start() first')
    return this.#url
  }

  /** The last error met while following the results or sampling, if any. */
  get lastError(): FreshetError | undefined {
    return this.#lastError
  }

  /** Compose into the watched job's `WorkerOptions.onEvent`. */
  observe(job: string, event: WorkerEvent): void {
    this.#collector.observe(job, event)
  }

  async start(): Promise<string> {
    if (this.#url !== undefined) return this.#url
    const o = this.#options
    for (const file of new Set(Object.values(PAGE_FILES).map((f) => f.file))) {
      this.#page.set(file, await readFile(new URL(`./page/${file}`, import.meta.url)))
    }
    // Step 2
    const description = await this.#admin.describeTopic(o.resultsTopic ?? 'event-analytics')
    this.#tail = new ResultsTail({
      bootstrapBrokers: o.bootstrapBrokers,
      topic: description.topic,
      partitions: description.partitions.length,
      format: o.format ?? 'avro',
      ...(o.registry === undefined ? {} : { registry: o.registry }),
      onRows: (rows) => {
        for (const row of rows) this.#board.add(row)
      },
      onError: (error) => (this.#lastError = error),
    })
    await this.#tail.start()
    // Step 3
    const server = createServer((request, response) => this.#handle(request, response))
    const host = o.host ?? '127.0.0.1'
    const port = o.port ?? 8088
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => resolve())
      })
    } catch (error) {
      await this.#tail.close()
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new FreshetError(
        'INVALID_OPTION',
        `Dashboard: cannot listen on ${host}:${port} (${code}); pick another port`,
        {
          cause: error,
          details: { option: 'port' },
        },
      )
    }
    this.#server = server
    const address = server.address() as AddressInfo
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
    // A sample that takes longer than the interval (a slow cluster) makes the next ones wait.
    let busy = false
    const tick = (): void => {
      if (busy) return
      busy = true
      this.#sampling = this.#sample().finally(() => (busy = false))
    }
    tick()
    this.#timer = setInterval(tick, o.sampleIntervalMs ?? 1_000)
    return this.#url
  }

  async #sample(): Promise<void> {
    let taken: { sample: Sample; state: DashboardState }
    try {
      taken = await this.#collector.sample()
    } catch (error) {
      this.#lastError = toFreshetError(error, 'KAFKA_ERROR', 'dashboard sample')
      return
    }
    const data = `event: sample\ndata: ${JSON.stringify(taken)}\n\n`
    for (const stream of this.#streams) stream.write(data)
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0] as string
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
      response.end('method not allowed\n')
      return
    }
    const asset = PAGE_FILES[path]
    if (asset !== undefined) {
      response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' })
      response.end(this.#page.get(asset.file))
      return
    }
    if (path === '/api/state') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      response.end(JSON.stringify(this.#collector.snapshot()))
      return
    }
    if (path === '/api/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      })
      response.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.#collector.snapshot())}\n\n`)
      this.#streams.add(response)
      request.on('close', () => this.#streams.delete(response))
      return
    }
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end(`${JSON.stringify({ error: `no such path ${path}; try /, /api/state or /api/events` })}\n`)
  }

  async close(): Promise<void> {
    // Step 4
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#sampling
    for (const stream of this.#streams) stream.end()
    this.#streams.clear()
    await this.#tail?.close()
    this.#tail = undefined
    const server = this.#server
    this.#server = undefined
    this.#url = undefined
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
    await this.#admin.close().catch(() => {})
  }
}
