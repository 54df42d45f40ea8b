/**
 * The HTTP endpoints every long-running freshet command serves beside its work:
 *
 *   GET /metrics  the Prometheus text exposition of the command's registry
 *   GET /health   liveness: 200 while the process serves requests
 *   GET /ready    readiness: 200 once the command does its work (a worker that joined its group and
 *                 restored its tasks), 503 with the reason before and after
 *
 * and the routes it is given under their prefix (a worker's interactive queries, GET /stores...,
 * src/query/http.ts). Anything else is 404. The server binds to loopback unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'

/** Whether the command is ready, and why not when it is not. */
export type Readiness = { ready: true } | { ready: false; reason: string }

/** More paths to serve: every request whose path is `prefix` or under `prefix/`. */
export interface HttpRoute {
  readonly prefix: string
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>
}

export interface MetricsServerOptions {
  registry: Registry
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** Asked on every GET /ready; ready unless given. */
  readiness?: () => Readiness
  routes?: readonly HttpRoute[]
}

const metricsServerSpec: Spec<MetricsServerOptions> = {
  registry: {
    check: (where, key, value) => {
      if (value === null || typeof value !== 'object' || typeof (value as Registry).metrics !== 'function') {
        throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be a prom-client Registry`)
      }
      return value as Registry
    },
  },
  port: { check: checks.int(0, 65_535), default: 0 },
  host: { check: checks.string(), default: '127.0.0.1' },
  readiness: { check: checks.func<() => Readiness>() },
  routes: {
    check: (where, key, value) => {
      const valid =
        Array.isArray(value) &&
        value.every(
          (route: Partial<HttpRoute> | null) =>
            typeof route?.prefix === 'string' &&
            /^\/[a-z0-9-]+$/.test(route.prefix) &&
            typeof route.handle === 'function',
        )
      if (!valid) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be a list of { prefix: '/name', handle(request, response) }`,
          { details: { option: key } },
        )
      }
      return value as readonly HttpRoute[]
    },
  },
}

export class MetricsServer {
  readonly #options: MetricsServerOptions
  #server: Server | undefined
  #url: string | undefined

  constructor(options: MetricsServerOptions) {
    this.#options = validateOptions('MetricsServer', options, metricsServerSpec)
  }

  /** `http://host:port` once started. */
  get url(): string {
    if (this.#url === undefined) {
      throw new FreshetError('INVALID_STATE', 'MetricsServer.url: call start() first')
    }
    return this.#url
  }

  async start(): Promise<string> {
    if (this.#url !== undefined) return this.#url
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' })
        response.end(`error: ${error instanceof Error ? error.message : String(error)}\n`)
      })
    })
    const host = this.#options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new FreshetError(
            'INVALID_OPTION',
            `MetricsServer: cannot listen on ${host}:${this.#options.port ?? 0} (${error.code ?? error.message})`,
            { cause: error },
          ),
        ),
      )
      server.listen(this.#options.port ?? 0, host, () => resolve())
    })
    this.#server = server
    const { port } = server.address() as AddressInfo
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    return this.#url
  }

  async close(): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
      response.end('method not allowed\n')
      return
    }
    if (path === '/metrics') {
      const body = await this.#options.registry.metrics()
      response.writeHead(200, { 'content-type': this.#options.registry.contentType })
      response.end(body)
      return
    }
    if (path === '/health') {
      json(response, 200, { status: 'ok' })
      return
    }
    if (path === '/ready') {
      const readiness = this.#options.readiness?.() ?? { ready: true }
      if (readiness.ready) json(response, 200, { status: 'ready' })
      else json(response, 503, { status: 'not ready', reason: readiness.reason })
      return
    }
    const route = this.#options.routes?.find((r) => path === r.prefix || path?.startsWith(`${r.prefix}/`))
    if (route !== undefined) {
      await route.handle(request, response)
      return
    }
    const paths = ['/metrics', '/health', '/ready', ...(this.#options.routes ?? []).map((r) => r.prefix)]
    json(response, 404, {
      error: `no such path ${path}; try ${paths.slice(0, -1).join(', ')} or ${paths.at(-1) as string}`,
    })
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(`${JSON.stringify(body)}\n`)
}
