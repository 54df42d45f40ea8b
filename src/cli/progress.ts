/**
 * A progress line for long work: redrawn in place on a terminal, printed every few seconds
 * otherwise (logs, CI), so it never floods a file.
 */
export interface ProgressSnapshot {
  done: number
  total: number | null
  ratePerSec: number
  extra?: string
}

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream
  readonly #tty: boolean
  readonly #plainEveryMs: number
  #lastPlainMs = 0
  #drawn = false

  constructor(stream: NodeJS.WriteStream = process.stderr, plainEveryMs = 5_000) {
    this.#stream = stream
    this.#tty = stream.isTTY === true
    this.#plainEveryMs = plainEveryMs
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
      if (now - this.#lastPlainMs >= this.#plainEveryMs) {
        this.#lastPlainMs = now
        this.#stream.write(`${text}\n`)
      }
    }
  }

  end(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\n')
    this.#drawn = false
  }
}
