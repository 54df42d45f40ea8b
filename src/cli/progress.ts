/**
 * A progress line for long work: redrawn in place on a terminal; otherwise (logs, CI) a log record
 * every few seconds, so it never floods a file and never breaks a stream of JSON logs.
 */
import type { Logger } from '../log/index.ts'

export interface ProgressSnapshot {
  done: number
  total: number | null
  ratePerSec: number
  extra?: string
}

export interface ProgressLineOptions {
  /** Where the progress goes when the stream is not a terminal. */
  log: Logger
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Default 5 s. */
  logEveryMs?: number
}

export class ProgressLine {
  readonly #stream: NodeJS.WritableStream
  readonly #log: Logger
  readonly #tty: boolean
  readonly #logEveryMs: number
  #lastLoggedMs = 0
  #drawn = false

  constructor(options: ProgressLineOptions) {
    this.#stream = options.stream ?? process.stderr
    this.#log = options.log
    this.#tty = (options.stream ?? process.stderr).isTTY === true
    this.#logEveryMs = options.logEveryMs ?? 5_000
  }

  update(s: ProgressSnapshot): void {
    const rate = `${Math.round(s.ratePerSec).toLocaleString('en-US')}/s`
    let text: string
    if (s.total !== null && s.total > 0) {
      const fraction = Math.min(1, s.done / s.total)
      const width = 30
      const filled = Math.round(fraction * width)
      text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${s.done.toLocaleString('en-US')}/${s.total.toLocaleString('en-US')}  ${rate}`
    } else {
      text = `${s.done.toLocaleString('en-US')} sent  ${rate}`
    }
    if (s.extra) text += `  ${s.extra}`
    if (this.#tty) {
      this.#stream.write(`\r\x1b[2K${text}`)
      this.#drawn = true
    } else {
      const now = Date.now()
      if (now - this.#lastLoggedMs >= this.#logEveryMs) {
        this.#lastLoggedMs = now
        this.#log.info({ done: s.done, total: s.total, ratePerSec: Math.round(s.ratePerSec) }, text)
      }
    }
  }

  /** Clears the line on a terminal, so that a log line can be written in its place. */
  clear(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[2K')
    this.#drawn = false
  }

  end(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\n')
    this.#drawn = false
  }
}
