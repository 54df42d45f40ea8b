/**
 * A client of Flink's SQL Gateway REST API (version v3 of the endpoint; Flink 2.2 serves v1 to v4):
 * sessions, statements as operations, their results page by page.
 *
 *   POST   /v3/sessions                                   -> { sessionHandle }
 *   POST   /v3/sessions/{s}/statements  { statement }     -> { operationHandle }
 *   GET    /v3/sessions/{s}/operations/{o}/status         -> { status }
 *   GET    /v3/sessions/{s}/operations/{o}/result/{token}?rowFormat=JSON
 *                                                         -> { resultType, jobID?, results, nextResultUri? }
 *   DELETE /v3/sessions/{s}/operations/{o}/close
 *   DELETE /v3/sessions/{s}
 *
 * A failed statement answers its result request with HTTP 500 and `errors[1]` holding the server's
 * stack trace; `statementError` keeps its first meaningful cause.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'

export interface GatewayOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8083. */
  url: string
  requestTimeoutMs?: number
}

export interface ResultColumn {
  name: string
  logicalType: { type: string; nullable: boolean }
}

/** What a statement produced, read to its end (or to `maxRows` for a query). */
export interface StatementResult {
  /** SUCCESS (DDL, SET) or SUCCESS_WITH_CONTENT (a query, an INSERT's job id, SHOW ...). */
  resultKind: string
  /** The job a statement submitted (INSERT, a query), when it submitted one. */
  jobId: string | null
  /** A query's rows (its changelog: kind INSERT, UPDATE_BEFORE, ...) or a statement's answer. */
  isQuery: boolean
  columns: string[]
  rows: Array<{ kind: string; fields: unknown[] }>
  /** A query's rows stopped at `maxRows` before its end. */
  truncated: boolean
}

interface ResultPage {
  resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS'
  resultKind?: string
  jobID?: string
  isQueryResult?: boolean
  results?: { columns?: ResultColumn[]; data?: Array<{ kind: string; fields: unknown[] }> }
  nextResultUri?: string
}

/** Exception classes that only wrap the cause worth reporting. */
const WRAPPERS = /(SqlGatewayException|SqlExecutionException|RestHandlerException|CompletionException)/

/**
 * The first cause of a gateway stack trace that is not a wrapper: its class's simple name and its
 * message, which may span lines (a parse error lists what was expected), without the stack frames.
 */
export function statementError(trace: string): string {
  const lines = trace.replace(/^<Exception on server side:\n/, '').split('\n')
  const starts = lines
    .map((text, index) => ({ text: text.replace(/^Caused by: /, ''), index }))
    .filter(({ text }, i) => i === 0 || lines[i]!.startsWith('Caused by: ') || /^\S+Exception: /.test(text))
  const chosen = starts.find(({ text }) => !WRAPPERS.test(text.split(':')[0] ?? '')) ?? starts.at(-1)
  if (!chosen) return trace.trim()
  const message: string[] = []
  for (let i = chosen.index; i < lines.length && message.length < 12; i++) {
    const text = i === chosen.index ? chosen.text : lines[i]!
    if (/^\s+at /.test(text) || text.startsWith('Caused by: ') || /^\s+\.\.\. \d+ more/.test(text)) break
    message.push(text)
  }
  return message
    .join('\n')
    .replace(/^([\w$.]+\.)?(\w+(Exception|Error)): /, '$2: ')
    .trim()
}

export class SqlGatewayClient {
  readonly url: string
  readonly #base: string
  readonly #timeoutMs: number

  constructor(options: GatewayOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `gateway: option "url" must be an http(s) URL, got ${JSON.stringify(options.url)}`,
        { details: { option: 'url' } },
      )
    }
    this.url = options.url.replace(/\/+$/, '')
    this.#base = `${this.url}/v3`
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      throw new FreshetError(
        'FLINK_GATEWAY_UNREACHABLE',
        `the SQL Gateway at ${this.url} did not answer ${method} ${path}: ${(error as Error).message}`,
        { cause: error },
      )
    }
    const text = await response.text()
    if (!response.ok) {
      const errors = (JSON.parse(text || '{}') as { errors?: string[] }).errors ?? [text]
      throw new FreshetError(
        'FLINK_GATEWAY_ERROR',
        statementError(errors.length > 1 ? errors[1]! : (errors[0] ?? `HTTP ${response.status}`)),
        { details: { status: response.status, method, path } },
      )
    }
    return (text ? JSON.parse(text) : {}) as T
  }

  /** The gateway's product name and Flink version (GET /v1/info answers on every version). */
  async info(): Promise<{ productName: string; version: string }> {
    return this.#request('GET', '/info')
  }

  async openSession(options: { name?: string; properties?: Record<string, string> } = {}): Promise<string> {
    const body = await this.#request<{ sessionHandle: string }>('POST', '/sessions', {
      ...(options.name === undefined ? {} : { sessionName: options.name }),
      properties: options.properties ?? {},
    })
    return body.sessionHandle
  }

  async closeSession(session: string): Promise<void> {
    await this.#request('DELETE', `/sessions/${session}`)
  }

  async executeStatement(session: string, statement: string): Promise<string> {
    const body = await this.#request<{ operationHandle: string }>('POST', `/sessions/${session}/statements`, {
      statement,
    })
    return body.operationHandle
  }

  async operationStatus(session: string, operation: string): Promise<string> {
    const body = await this.#request<{ status: string }>(
      'GET',
      `/sessions/${session}/operations/${operation}/status`,
    )
    return body.status
  }

  async closeOperation(session: string, operation: string): Promise<void> {
    await this.#request('DELETE', `/sessions/${session}/operations/${operation}/close`)
  }

  /**
   * Runs one statement and reads its result: to its end for DDL and SET, to the job id for an
   * INSERT (whose job runs on after the statement returns), to its end or `maxRows` for a query.
   * A statement Flink refuses throws FLINK_STATEMENT_FAILED with Flink's message.
   */
  async run(
    session: string,
    statement: string,
    options: { maxRows?: number } = {},
  ): Promise<StatementResult> {
    const maxRows = options.maxRows ?? 1_000
    const operation = await this.executeStatement(session, statement)
    const result: StatementResult = {
      resultKind: '',
      jobId: null,
      isQuery: false,
      columns: [],
      rows: [],
      truncated: false,
    }
    let token = 0
    let waitMs = 50
    try {
      for (;;) {
        let page: ResultPage
        try {
          page = await this.#request<ResultPage>(
            'GET',
            `/sessions/${session}/operations/${operation}/result/${token}?rowFormat=JSON`,
          )
        } catch (error) {
          if (error instanceof FreshetError && error.code === 'FRESHET_FLINK_GATEWAY_ERROR') {
            throw new FreshetError('FLINK_STATEMENT_FAILED', error.message, { cause: error })
          }
          throw error
        }
        if (page.resultType === 'NOT_READY') {
          await sleep(waitMs)
          waitMs = Math.min(waitMs * 2, 500)
          continue
        }
        waitMs = 50
        result.resultKind = page.resultKind ?? result.resultKind
        result.jobId = page.jobID ?? result.jobId
        result.isQuery = page.isQueryResult ?? result.isQuery
        if (page.results?.columns) result.columns = page.results.columns.map((c) => c.name)
        for (const row of page.results?.data ?? []) result.rows.push({ kind: row.kind, fields: row.fields })
        if (page.resultType === 'EOS') return result
        // An INSERT's only row is its job id; the operation stays open until the job ends.
        if (page.isQueryResult === false && result.jobId !== null) return result
        if (result.rows.length >= maxRows) {
          result.truncated = true
          return result
        }
        token += 1
      }
    } finally {
      await this.closeOperation(session, operation).catch(() => {})
    }
  }
}
