import type { UserEvent } from '../schemas/index.ts'

export interface StatsSnapshot {
  total: number
  errors: number
  deadLettered: number
  elapsedMs: number
  ratePerSec: number
  topEventTypes: Array<[string, number]>
  topUsers: Array<[string, number]>
}

/** Running statistics of consumed events, updated once per batch. */
export class ConsumerStats {
  readonly #startMs = performance.now()
  readonly #types = new Map<string, number>()
  readonly #users = new Map<string, number>()
  total = 0
  errors = 0
  deadLettered = 0

  addEvents(events: readonly UserEvent[]): void {
    this.total += events.length
    for (const e of events) {
      this.#types.set(e.event_type, (this.#types.get(e.event_type) ?? 0) + 1)
      this.#users.set(e.user_id, (this.#users.get(e.user_id) ?? 0) + 1)
    }
  }

  snapshot(top = 5): StatsSnapshot {
    const elapsedMs = performance.now() - this.#startMs
    const byCount = (m: Map<string, number>): Array<[string, number]> =>
      [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top)
    return {
      total: this.total,
      errors: this.errors,
      deadLettered: this.deadLettered,
      elapsedMs,
      ratePerSec: elapsedMs > 0 ? (this.total * 1000) / elapsedMs : 0,
      topEventTypes: byCount(this.#types),
      topUsers: byCount(this.#users),
    }
  }
}

export function formatStats(s: StatsSnapshot): string {
  return [
    `Total Events: ${s.total}`,
    `Elapsed Time: ${(s.elapsedMs / 1000).toFixed(2)}s`,
    `Event Rate: ${s.ratePerSec.toFixed(2)} events/sec`,
    `Errors: ${s.errors} (dead-lettered: ${s.deadLettered})`,
    '',
    'Top Event Types:',
    ...s.topEventTypes.map(([t, n]) => `  ${t}: ${n}`),
    '',
    'Top Users:',
    ...s.topUsers.map(([u, n]) => `  ${u}: ${n} events`),
  ].join('\n')
}
