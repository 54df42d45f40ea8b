/**
 * The registry's REST API over a store, shaped like Confluent Schema Registry's so that existing
 * clients (Java and Go serializers, kafkajs' registry client, curl scripts) work unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorCodeOf, httpStatusOf, RegistryErrorCodes as E, registryError } from './errors.ts'
import type { RegistryStore } from './store.ts'
import { SCHEMA_TYPES, type SchemaVersion } from './types.ts'

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const ACCEPTED_REQUEST_TYPES = new Set([
  CONTENT_TYPE,
  'application/vnd.schemaregistry+json',
  'application/json',
  'application/octet-stream',
])
const MAX_BODY_BYTES = 16 * 1024 * 1024

interface Request {
  params: Record<string, string>
  query: URLSearchParams
  body: Record<string, unknown>
}

/** A handler's answer: a JSON value, or raw text already in JSON form (a schema). */
type Reply = { json: unknown } | { raw: string }

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string[]
  /** The path pattern, as written: `/subjects/:subject/versions`. */
  pattern: string
  handle: (store: RegistryStore, req: Request) => Promise<Reply>
}

function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name)?.toLowerCase() === 'true'
}

function schemaId(text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(id) || id < 1) throw registryError(E.SCHEMA_NOT_FOUND, `Schema ${text} not found`)
  return id
}

function versionBody(v: SchemaVersion): Record<string, unknown> {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    ...(v.schemaType === undefined ? {} : { schemaType: v.schemaType }),
    schema: v.schema,
  }
}

const json = (value: unknown): Reply => ({ json: value })

function route(method: Route['method'], path: string, handle: Route['handle']): Route {
  return { method, path: path.split('/').filter((s) => s.length > 0), pattern: path, handle }
}

const ROUTES: Route[] = [
  route('GET', '/', async () => json({})),
  route('GET', '/contexts', async () => json(['.'])),
  route('GET', '/schemas/types', async () => json([...SCHEMA_TYPES])),
  route('GET', '/schemas/ids/:id', async (store, { params }) =>
    json(await store.schemaById(schemaId(params.id ?? ''))),
  ),
  route('GET', '/schemas/ids/:id/schema', async (store, { params }) => ({
    raw: (await store.schemaById(schemaId(params.id ?? ''))).schema,
  })),
  route('GET', '/schemas/ids/:id/subjects', async (store, { params, query }) =>
    json(await store.subjectsOfId(schemaId(params.id ?? ''), flag(query, 'deleted'))),
  ),
  route('GET', '/schemas/ids/:id/versions', async (store, { params, query }) =>
    json(await store.versionsOfId(schemaId(params.id ?? ''), flag(query, 'deleted'))),
  ),
  route('GET', '/subjects', async (store, { query }) =>
    json(await store.subjects({ deleted: flag(query, 'deleted'), prefix: query.get('subjectPrefix') ?? '' })),
  ),
  route('POST', '/subjects/:subject', async (store, { params, query, body }) =>
    json(versionBody(await store.lookup(params.subject ?? '', body, flag(query, 'deleted')))),
  ),
  route('DELETE', '/subjects/:subject', async (store, { params, query }) =>
    json(await store.deleteSubject(params.subject ?? '', flag(query, 'permanent'))),
  ),
  route('GET', '/subjects/:subject/versions', async (store, { params, query }) =>
    json(await store.versions(params.subject ?? '', flag(query, 'deleted'))),
  ),
  route('POST', '/subjects/:subject/versions', async (store, { params, body }) =>
    json(await store.register(params.subject ?? '', body)),
  ),
  route('GET', '/subjects/:subject/versions/:version', async (store, { params, query }) =>
    json(
      versionBody(await store.version(params.subject ?? '', params.version ?? '', flag(query, 'deleted'))),
    ),
  ),
  route('GET', '/subjects/:subject/versions/:version/schema', async (store, { params, query }) => ({
    raw: (await store.version(params.subject ?? '', params.version ?? '', flag(query, 'deleted'))).schema,
  })),
  route('GET', '/subjects/:subject/versions/:version/referencedby', async (store, { params }) => {
    // Schema references are not supported, so no schema refers to another.
    await store.version(params.subject ?? '', params.version ?? '', true)
    return json([])
  }),
  route('DELETE', '/subjects/:subject/versions/:version', async (store, { params, query }) =>
    json(await store.deleteVersion(params.subject ?? '', params.version ?? '', flag(query, 'permanent'))),
  ),
  route('POST', '/compatibility/subjects/:subject/versions', async (store, req) => compatibility(store, req)),
  route('POST', '/compatibility/subjects/:subject/versions/:version', async (store, req) =>
    compatibility(store, req),
  ),
  route('GET', '/config', async (store) => json({ compatibilityLevel: await store.globalConfig() })),
  route('PUT', '/config', async (store, { body }) =>
    json({ compatibility: await store.setConfig(null, body.compatibility) }),
  ),
  route('DELETE', '/config', async (store) => json({ compatibilityLevel: await store.deleteConfig(null) })),
  route('GET', '/config/:subject', async (store, { params, query }) =>
    json({
      compatibilityLevel: await store.subjectConfig(params.subject ?? '', flag(query, 'defaultToGlobal')),
    }),
  ),
  route('PUT', '/config/:subject', async (store, { params, body }) =>
    json({ compatibility: await store.setConfig(params.subject ?? '', body.compatibility) }),
  ),
  route('DELETE', '/config/:subject', async (store, { params }) =>
    json({ compatibilityLevel: await store.deleteConfig(params.subject ?? '') }),
  ),
  route('GET', '/mode', async (store) => json({ mode: await store.globalMode() })),
  route('PUT', '/mode', async (store, { query, body }) =>
    json({ mode: await store.setMode(null, body.mode, flag(query, 'force')) }),
  ),
  route('GET', '/mode/:subject', async (store, { params, query }) =>
    json({ mode: await store.subjectMode(params.subject ?? '', flag(query, 'defaultToGlobal')) }),
  ),
  route('PUT', '/mode/:subject', async (store, { params, query, body }) =>
    json({ mode: await store.setMode(params.subject ?? '', body.mode, flag(query, 'force')) }),
  ),
  route('DELETE', '/mode/:subject', async (store, { params }) =>
    json({ mode: await store.deleteMode(params.subject ?? '') }),
  ),
]

async function compatibility(store: RegistryStore, { params, query, body }: Request): Promise<Reply> {
  const result = await store.testCompatibility(params.subject ?? '', params.version, body)
  return json({
    is_compatible: result.compatible,
    ...(flag(query, 'verbose') ? { messages: result.messages } : {}),
  })
}

/** Finds the route for a path; `methodMismatch` when the path exists under another method. */
function match(
  method: string,
  segments: string[],
): { route: Route; params: Record<string, string> } | 'methodMismatch' | undefined {
  let pathFound = false
  for (const r of ROUTES) {
    if (r.path.length !== segments.length) continue
    const params: Record<string, string> = {}
    const ok = r.path.every((part, i) => {
      const segment = segments[i] ?? ''
      if (part.startsWith(':')) {
        params[part.slice(1)] = segment
        return true
      }
      return part === segment
    })
    if (!ok) continue
    pathFound = true
    if (r.method === method) return { route: r, params }
  }
  return pathFound ? 'methodMismatch' : undefined
}

function httpError(status: number, message: string): { status: number; body: unknown } {
  return { status, body: { error_code: status, message } }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new RangeError('request body too large')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** The route pattern a request matched, or `unmatched`; set by handle() for the request's metrics. */
interface Matched {
  route: string
}

async function handle(
  store: RegistryStore,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown) => void,
  matched: Matched,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://registry')
  let segments: string[]
  try {
    segments = url.pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s))
  } catch {
    const e = httpError(404, 'HTTP 404 Not Found')
    return send(res, e.status, JSON.stringify(e.body))
  }
  const found = match(req.method ?? 'GET', segments)
  if (found === undefined || found === 'methodMismatch') {
    req.resume()
    const e =
      found === undefined
        ? httpError(404, 'HTTP 404 Not Found')
        : httpError(405, 'HTTP 405 Method Not Allowed')
    return send(res, e.status, JSON.stringify(e.body))
  }
  matched.route = found.route.pattern

  let body: Record<string, unknown> = {}
  if (req.method === 'POST' || req.method === 'PUT') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (type !== '' && !ACCEPTED_REQUEST_TYPES.has(type)) {
      req.resume()
      const e = httpError(415, 'HTTP 415 Unsupported Media Type')
      return send(res, e.status, JSON.stringify(e.body))
    }
    let bytes: Buffer
    try {
      bytes = await readBody(req)
    } catch {
      const e = httpError(413, 'HTTP 413 Request Entity Too Large')
      return send(res, e.status, JSON.stringify(e.body))
    }
    if (bytes.length > 0) {
      let parsed: unknown
      try {
        parsed = JSON.parse(bytes.toString('utf8'))
      } catch (error) {
        const e = httpError(400, `Unrecognized request body: ${(error as Error).message}`)
        return send(res, e.status, JSON.stringify(e.body))
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        const e = httpError(400, 'The request body must be a JSON object')
        return send(res, e.status, JSON.stringify(e.body))
      }
      body = parsed as Record<string, unknown>
    }
  }

  try {
    const reply = await found.route.handle(store, { params: found.params, query: url.searchParams, body })
    send(res, 200, 'raw' in reply ? reply.raw : JSON.stringify(reply.json))
  } catch (error) {
    const code = errorCodeOf(error)
    if (code !== undefined) {
      send(res, httpStatusOf(code), JSON.stringify({ error_code: code, message: (error as Error).message }))
      return
    }
    onError(error)
    send(
      res,
      500,
      JSON.stringify({
        error_code: E.STORE_ERROR,
        message: `Error in the backend data store: ${String(error)}`,
      }),
    )
  }
}

export interface ServeOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** Called with errors the API could not map to a registry error code (bugs, mostly). */
  onError?: (error: unknown) => void
  /** Called once per request when its answer is sent (metrics). */
  onRequest?: (request: RegistryRequest) => void
}

/** One HTTP request, once answered. */
export interface RegistryRequest {
  method: string
  /** The route's pattern (`/subjects/:subject/versions`), or `unmatched` for a 404 or 405. */
  route: string
  status: number
  durationMs: number
}

export interface ListeningRegistry {
  url: string
  port: number
  server: Server
  close(): Promise<void>
}

/** Serves the REST API of `store`; resolves once listening. Closing does not close the store. */
export async function serveRegistry(store: RegistryStore, options: ServeOptions): Promise<ListeningRegistry> {
  const onError =
    options.onError ?? ((error: unknown) => console.error('freshet registry: unexpected error', error))
  const onRequest = options.onRequest
  const server = createServer((req, res) => {
    const matched: Matched = { route: 'unmatched' }
    if (onRequest !== undefined) {
      const startMs = performance.now()
      res.once('finish', () =>
        onRequest({
          method: req.method ?? 'GET',
          route: matched.route,
          status: res.statusCode,
          durationMs: performance.now() - startMs,
        }),
      )
    }
    handle(store, req, res, onError, matched).catch((error: unknown) => {
      onError(error)
      if (!res.headersSent)
        send(res, 500, JSON.stringify({ error_code: 500, message: 'Internal Server Error' }))
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
