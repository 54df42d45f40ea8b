/**
 * The HTTP face of interactive queries, served beside /metrics, /health and /ready:
 *
 *   GET /stores                          the stores, their kind, and which worker hosts which partition
 *   GET /stores/<store>/keys/<key>       a key's value; a window store's windows (?fromMs=&toMs=
 *                                        over window starts), a session store's sessions (overlapping)
 *   GET /stores/<store>/keys             a key range (?from=&to=, both inclusive; ?limit=) over every
 *                                        partition, or this worker's alone with ?local=true
 *
 * Keys are strings; `?keyFormat=json` reads `<key>`, `from` and `to` as JSON (numbers, arrays).
 * A key hosted by another worker is forwarded to it, one hop: a forwarded request carries the
 * FORWARDED_HEADER and is never forwarded again, so two workers that disagree about the
 * assignment (a rebalance under way) answer 503 instead of sending it back and forth. Every answer
 * is JSON; an error is `{ "error": <message>, "code": <FRESHET_...> }`, and a 503 has Retry-After.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { FreshetError } from '../errors/index.ts'
import { mergeRangeParts } from './reads.ts'
import { DEFAULT_RANGE_LIMIT, MAX_RANGE_LIMIT, QUERY_RETRY_AFTER_MS } from './queries.ts'
import type {
  KeyQueryResult,
  KeyRange,
  RangeEntry,
  RangeQueryResult,
  StoresMetadata,
  TaskHost,
  TimeRange,
} from './types.ts'

/** Set on a request one worker forwards to another, to the forwarding worker's id. */
export const FORWARDED_HEADER = 'freshet-forwarded-by'
const DEFAULT_FORWARD_TIMEOUT_MS = 5_000

/** What the routes query: a Worker. */
export interface Queryable {
  readonly workerId: string
  query(store: string, key: unknown, time?: TimeRange): KeyQueryResult
  queryRange(store: string, range?: KeyRange): RangeQueryResult
  storesMetadata(): StoresMetadata
}

/** A route of the metrics server (src/metrics/server.ts): the paths under `prefix`. */
export interface StoreRoute {
  readonly prefix: string
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>
}

export interface StoreRoutesOptions {
  /** How long a forwarded request may take; 5 s by default. */
  forwardTimeoutMs?: number
}

class HttpAnswer {
  readonly status: number
  readonly body: unknown

  constructor(status: number, body: unknown) {
    this.status = status
    this.body = body
  }
}

function errorAnswer(error: FreshetError): HttpAnswer {
  const status =
    error.code === 'FRESHET_QUERY_STORE_NOT_FOUND' || error.code === 'FRESHET_QUERY_KEY_NOT_FOUND'
      ? 404
      : error.code === 'FRESHET_QUERY_UNAVAILABLE'
        ? 503
        : 400
  return new HttpAnswer(status, { error: error.message, code: error.code, ...(error.details ?? {}) })
}

function unavailable(reason: string): FreshetError {
  return new FreshetError('QUERY_UNAVAILABLE', reason)
}

function badParameter(name: string, message: string): FreshetError {
  return new FreshetError('INVALID_OPTION', `query parameter "${name}" ${message}`, {
    details: { option: name },
  })
}

const KEY_PARAMETERS = ['fromMs', 'toMs', 'keyFormat']
const RANGE_PARAMETERS = ['from', 'to', 'limit', 'local', 'keyFormat']

function checkParameters(params: URLSearchParams, allowed: readonly string[]): void {
  for (const name of params.keys()) {
    if (!allowed.includes(name)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `unknown query parameter "${name}"; allowed: ${allowed.join(', ')}`,
        { details: { option: name, allowed } },
      )
    }
  }
}

function keyOf(params: URLSearchParams, text: string, name: string): unknown {
  const format = params.get('keyFormat') ?? 'string'
  if (format === 'string') return text
  if (format !== 'json')
    throw badParameter('keyFormat', `must be string or json, got ${JSON.stringify(format)}`)
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw badParameter(name, `must be JSON with keyFormat=json, got ${JSON.stringify(text)}`)
  }
}

function integerParameter(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = params.get(name)
  if (text === null) return undefined
  const value = /^-?\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badParameter(name, `must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`)
  }
  return value
}

/** JSON for what stores hold: structured values may be Maps, Sets or bigints. */
function toJson(body: unknown): string {
  return JSON.stringify(body, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString()
    if (value instanceof Map) return [...value.entries()]
    if (value instanceof Set) return [...value.values()]
    return value
  })
}

function hostJson(host: TaskHost | undefined): { workerId: string; endpoint: string | null } | null {
  return host === undefined ? null : { workerId: host.workerId, endpoint: host.endpoint ?? null }
}

export function storeRoutes(worker: Queryable, options: StoreRoutesOptions = {}): StoreRoute {
  const forwardTimeoutMs = options.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS
  const self = (): { workerId: string; endpoint: string | null } => ({
    workerId: worker.workerId,
    endpoint: worker.storesMetadata().endpoint ?? null,
  })

  /**
   * Sends the request on to the worker at `endpoint`, once, and answers what it answered. A
   * worker that cannot be reached (it died; the group has not noticed yet) is a 503: the
   * rebalance that follows moves its tasks.
   */
  async function forward(host: TaskHost, path: string): Promise<HttpAnswer> {
    if (host.endpoint === undefined) {
      throw unavailable(`worker ${host.workerId} hosts it and advertises no query endpoint`)
    }
    let response: Response
    try {
      response = await fetch(`http://${host.endpoint}${path}`, {
        headers: { [FORWARDED_HEADER]: worker.workerId, accept: 'application/json' },
        signal: AbortSignal.timeout(forwardTimeoutMs),
      })
    } catch (error) {
      throw unavailable(
        `worker ${host.workerId} at ${host.endpoint} does not answer (${error instanceof Error ? error.message : String(error)})`,
      )
    }
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text) as unknown
    } catch {
      throw unavailable(
        `worker ${host.workerId} at ${host.endpoint} answered ${response.status} without JSON`,
      )
    }
    return new HttpAnswer(response.status, body)
  }

  async function key(store: string, keyText: string, url: URL, forwarded: boolean): Promise<HttpAnswer> {
    const params = url.searchParams
    checkParameters(params, KEY_PARAMETERS)
    const recordKey = keyOf(params, keyText, 'key')
    const fromMs = integerParameter(params, 'fromMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    const toMs = integerParameter(params, 'toMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    const answer = worker.query(store, recordKey, {
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMs === undefined ? {} : { toMs }),
    })
    switch (answer.status) {
      case 'found':
        return new HttpAnswer(200, {
          store,
          key: recordKey,
          partition: answer.partition,
          servedBy: self(),
          ...(answer.result.kind === 'value'
            ? { value: answer.result.value }
            : answer.result.kind === 'windows'
              ? { windows: answer.result.windows }
              : { sessions: answer.result.sessions }),
        })
      case 'not-found':
        throw new FreshetError(
          'QUERY_KEY_NOT_FOUND',
          `store ${store} holds nothing for key ${JSON.stringify(recordKey)} (partition ${answer.partition})`,
          { details: { store, key: recordKey, partition: answer.partition, servedBy: self() } },
        )
      case 'unavailable':
        throw unavailable(answer.reason)
      case 'elsewhere':
        if (forwarded) {
          // Whoever forwarded it thinks this worker hosts the key: one of the two has an outdated
          // view of the assignment, which the rebalance under way will settle.
          throw unavailable(
            `partition ${answer.partition} of ${store} is hosted by worker ${answer.host.workerId}, not here; the assignment is changing`,
          )
        }
        return forward(answer.host, `${url.pathname}${url.search}`)
    }
  }

  async function range(store: string, url: URL, forwarded: boolean): Promise<HttpAnswer> {
    const params = url.searchParams
    checkParameters(params, RANGE_PARAMETERS)
    const local = params.get('local')
    if (local !== null && local !== 'true' && local !== 'false') {
      throw badParameter('local', `must be true or false, got ${JSON.stringify(local)}`)
    }
    const from = params.get('from')
    const to = params.get('to')
    const limit = integerParameter(params, 'limit', 1, MAX_RANGE_LIMIT) ?? DEFAULT_RANGE_LIMIT
    const keyRange: KeyRange = {
      ...(from === null ? {} : { from: keyOf(params, from, 'from') }),
      ...(to === null ? {} : { to: keyOf(params, to, 'to') }),
      limit,
    }
    const mine = worker.queryRange(store, keyRange)
    if (local === 'true' || forwarded) {
      return new HttpAnswer(200, { store, servedBy: self(), ...mine })
    }
    return new HttpAnswer(200, { store, ...(await gather(store, mine, url, limit)) })
  }

  /**
   * A range over every partition:
   *   1. This worker's partitions, read locally.
   *   2. Every other partition's host, from the assignment; a partition restoring here, or with no
   *      known host (a rebalance), makes the whole answer a 503.
   *   3. Each other worker is asked once, with `local=true`, for the partitions it hosts; one that
   *      does not answer with all of them makes it a 503 too.
   *   4. The entries merged in the store's order, and cut at `limit`.
   */
  async function gather(
    store: string,
    mine: RangeQueryResult,
    url: URL,
    limit: number,
  ): Promise<{ entries: RangeEntry[]; truncated: boolean }> {
    // Step 1
    const covered = new Set(mine.partitions)
    // Step 2
    const hosts = worker.storesMetadata().stores.find((s) => s.name === store)?.hosts ?? []
    const byEndpoint = new Map<string, { host: TaskHost; partitions: number[] }>()
    for (const { partition, host, local } of hosts) {
      if (covered.has(partition)) continue
      if (host === undefined || local) throw unavailable(`partition ${partition} of ${store} has no host now`)
      const key = host.endpoint ?? host.workerId
      const entry = byEndpoint.get(key) ?? { host, partitions: [] }
      entry.partitions.push(partition)
      byEndpoint.set(key, entry)
    }
    for (const { host } of byEndpoint.values()) {
      if (host.endpoint === undefined) {
        throw unavailable(
          `worker ${host.workerId} hosts partitions of ${store} and advertises no query endpoint`,
        )
      }
    }
    // Step 3
    const params = new URLSearchParams(url.searchParams)
    params.set('local', 'true')
    const answers = await Promise.all(
      [...byEndpoint.values()].map(async ({ host, partitions }) => {
        const answer = await forward(host, `${url.pathname}?${params.toString()}`)
        const body = answer.body as Partial<RangeQueryResult> | undefined
        const got = new Set(body?.partitions ?? [])
        if (answer.status !== 200 || partitions.some((p) => !got.has(p))) {
          throw unavailable(
            `worker ${host.workerId} did not answer for partitions ${partitions.join(', ')} of ${store} (${answer.status})`,
          )
        }
        return body as RangeQueryResult
      }),
    )
    // Step 4
    return mergeRangeParts([mine, ...answers], limit)
  }

  function stores(): HttpAnswer {
    const metadata = worker.storesMetadata()
    return new HttpAnswer(200, {
      workerId: metadata.workerId,
      endpoint: metadata.endpoint ?? null,
      state: metadata.state,
      generationId: metadata.generationId,
      stores: metadata.stores.map((store) => ({
        ...store,
        hosts: store.hosts.map((h) => ({ partition: h.partition, host: hostJson(h.host), local: h.local })),
      })),
    })
  }

  async function route(request: IncomingMessage): Promise<HttpAnswer> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const forwarded = request.headers[FORWARDED_HEADER] !== undefined
    const parts = url.pathname.split('/').slice(2)
    if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) {
      checkParameters(url.searchParams, [])
      return stores()
    }
    let segments: string[]
    try {
      segments = parts.map((part) => decodeURIComponent(part))
    } catch {
      throw badParameter('path', `is not valid percent-encoding: ${url.pathname}`)
    }
    const [store, keys, keyText, ...rest] = segments
    if (store !== undefined && store !== '' && keys === 'keys' && rest.length === 0) {
      if (keyText === undefined) return range(store, url, forwarded)
      if (keyText !== '') return key(store, keyText, url, forwarded)
    }
    return new HttpAnswer(404, {
      error: `no such path ${url.pathname}; try /stores, /stores/<store>/keys/<key> or /stores/<store>/keys?from=&to=`,
    })
  }

  return {
    prefix: '/stores',
    async handle(request, response) {
      let answer: HttpAnswer
      try {
        answer = await route(request)
      } catch (error) {
        if (!(error instanceof FreshetError)) throw error
        answer = errorAnswer(error)
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (answer.status === 503) headers['retry-after'] = String(Math.ceil(QUERY_RETRY_AFTER_MS / 1000))
      response.writeHead(answer.status, headers)
      response.end(`${toJson(answer.body)}\n`)
    },
  }
}
