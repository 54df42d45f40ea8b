/**
 * What one input record changed, so that a record that fails part-way (user code throws, a keyed
 * operator refuses it) can be taken back under the `skip` and `dlq` policies: every store, its
 * changelog buffer and the operators' in-memory indexes end as if the record had never arrived.
 *
 * Why an undo log rather than staging the writes: a record that succeeds, which is nearly every
 * record, must pay as little as possible. Staging would route every read through the staged writes
 * and copy them into the store at the end; an undo log lets writes go straight to the store and
 * only notes, at each write, what it replaced: the store already looks that value up to apply the
 * write, so noting it costs a few array slots. The log is only read when a record fails.
 *
 * The log is one flat array reused from record to record (five slots per entry: the target and up
 * to four values), so logging allocates nothing once it has grown to the largest record. Slots of
 * earlier records are overwritten rather than cleared, so they hold on to at most that many values.
 *
 * Protocol, as the task runs it for each record that reaches its operators:
 *   1. `begin()`.
 *   2. The record runs; each change to a store or an operator index calls `log(target, ...)` with
 *      what it needs to take the change back.
 *   3. `end()` when the record went through; `rollback()` when it failed, which calls
 *      `target.revert(...)` for every entry, newest first, so each key ends at its oldest value.
 * Outside 1-3 (watermarks, commits, restores) nothing is logged: those changes are not a record's.
 */
export interface Revertible {
  /** Takes back one logged change, given the values that were logged with it. */
  revert(a: unknown, b: unknown, c: unknown, d: unknown): void
}

const SLOTS = 5

export class UndoLog {
  readonly #entries: unknown[] = []
  #top = 0
  #recording = false

  /** Whether a record is running: changes made now belong to it. */
  get recording(): boolean {
    return this.#recording
  }

  /** Entries logged for the running record. */
  get size(): number {
    return this.#top / SLOTS
  }

  /** Step 1: a record starts; what an earlier record logged is forgotten. */
  begin(): void {
    this.#top = 0
    this.#recording = true
  }

  /** Step 2: notes a change of the running record; nothing when no record is running. */
  log(target: Revertible, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    if (!this.#recording) return
    const entries = this.#entries
    const top = this.#top
    entries[top] = target
    entries[top + 1] = a
    entries[top + 2] = b
    entries[top + 3] = c
    entries[top + 4] = d
    this.#top = top + SLOTS
  }

  /** Step 3: the record went through; its changes stand. */
  end(): void {
    this.#recording = false
    this.#top = 0
  }

  /** Step 3: the record failed; takes back its changes, newest first. */
  rollback(): void {
    // Reverting writes to the stores again: those writes are not to be logged.
    this.#recording = false
    const entries = this.#entries
    for (let at = this.#top - SLOTS; at >= 0; at -= SLOTS) {
      ;(entries[at] as Revertible).revert(entries[at + 1], entries[at + 2], entries[at + 3], entries[at + 4])
    }
    this.#top = 0
  }
}
