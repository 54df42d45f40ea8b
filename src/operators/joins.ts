/**
 * Joins, each side an operator of its own that shares stores with the other (as Kafka Streams
 * builds them), so every operator keeps the one-input lifecycle.
 *
 * Stream-table: the table source writes the latest value per key into its store (a null value
 * deletes); the stream side looks the record's key up and joins with what is there at that moment.
 * Inner joins drop stream records without a table value (counted as `joinMisses`); left joins pass
 * `undefined`. A join with a global table looks up the key its key selector gives instead of the
 * record's key (a `null` or `undefined` key finds nothing).
 *
 * Interval: records of the left stream at `ta` and the right stream at `tb` with the same key join
 * when `ta - beforeMs <= tb <= ta + afterMs`. Each side buffers its records by key and time, and on
 * each record scans the other side's buffer over the matching interval; the result has the later of
 * the two times. A buffered record is deleted once the watermark has passed the last time a partner
 * could have (`ta + afterMs` on the left, `tb + beforeMs` on the right). A record older than the
 * watermark is late: some of its partners may already be deleted, so it goes to the `late` output
 * instead of joining with only some of them.
 */
import { ExpiryQueue, type Expiry } from './expiry-queue.ts'
import { decodeWindowKey, windowKey, type Revertible } from '../state/index.ts'
import { jsonSerde, requireKey, type ValueSerde } from './serde.ts'
import type { OperatorStore } from './store.ts'
import type { Keyed, Operator, OperatorContext } from './types.ts'

/** The key a table keeps `key` under: its JSON text. */
export function tableKeyBytes(key: unknown): Buffer {
  return Buffer.from(JSON.stringify(key) ?? 'null')
}

/**
 * What a table record does to the table's store: the store entry for its key, `value: null`
 * deleting it. Shared by the table operator and the restores that replay a table's topic, so that
 * both write the same bytes.
 */
export function tableEntry<V>(
  key: unknown,
  value: V | null | undefined,
  serde: ValueSerde<V>,
): { key: Buffer; value: Buffer | null } {
  return {
    key: tableKeyBytes(key),
    value: value === null || value === undefined ? null : Buffer.from(serde.encode(value)),
  }
}

/** Materializes a table topic: the latest value per key; `null` (a tombstone) deletes the key. */
export class TableSourceOperator<V> implements Operator<V | null, V | null> {
  readonly #storeName: string
  readonly #serde: ValueSerde<V>
  #context!: OperatorContext<V | null>
  #store!: OperatorStore

  constructor(store: string, serde: ValueSerde<V> = jsonSerde<V>()) {
    this.#storeName = store
    this.#serde = serde
  }

  open(context: OperatorContext<V | null>): void {
    this.#context = context
    this.#store = context.store(this.#storeName)
  }

  process(record: Keyed<V | null>, timestampMs: number): void {
    requireKey(record, this.#context.operator)
    const entry = tableEntry(record.key, record.value, this.#serde)
    if (entry.value === null) this.#store.delete(entry.key)
    else this.#store.put(entry.key, entry.value)
    this.#context.forward(record, timestampMs)
  }

  onWatermark(): void {}
  onCommit(): void {}
  close(): void {}
}

export interface StreamTableJoinConfig<T, V, R, K> {
  readonly tableStore: string
  readonly join: (value: T, tableValue: V | undefined, key: K) => R
  /** Left join: stream records without a table value are joined with `undefined`. */
  readonly left: boolean
  readonly serde?: ValueSerde<V> | undefined
  /**
   * A global table's key selector: maps a stream record to the table key. Without it the table is
   * co-partitioned and looked up by the record's key.
   */
  readonly tableKey?: ((value: T, key: K) => unknown) | undefined
}

export class StreamTableJoinOperator<T, V, R, K> implements Operator<T, R> {
  readonly #config: StreamTableJoinConfig<T, V, R, K>
  readonly #serde: ValueSerde<V>
  #context!: OperatorContext<R>
  #table!: OperatorStore

  constructor(config: StreamTableJoinConfig<T, V, R, K>) {
    this.#config = config
    this.#serde = config.serde ?? jsonSerde<V>()
  }

  open(context: OperatorContext<R>): void {
    this.#context = context
    this.#table = context.store(this.#config.tableStore)
  }

  process(record: Keyed<T>, timestampMs: number): void {
    const selector = this.#config.tableKey
    let bytes: Buffer | undefined
    if (selector === undefined) {
      requireKey(record, this.#context.operator)
      bytes = this.#table.get(tableKeyBytes(record.key))
    } else {
      const tableKey = selector(record.value, record.key as K)
      bytes =
        tableKey === null || tableKey === undefined ? undefined : this.#table.get(tableKeyBytes(tableKey))
    }
    if (bytes === undefined && !this.#config.left) {
      this.#context.metrics.increment('joinMisses')
      return
    }
    const tableValue = bytes === undefined ? undefined : this.#serde.decode(bytes)
    const value = this.#config.join(record.value, tableValue, record.key as K)
    this.#context.forward({ key: record.key, value, source: record.source }, timestampMs)
  }

  onWatermark(): void {}
  onCommit(): void {}
  close(): void {}
}

export interface IntervalJoinSideConfig<L, R, O, K> {
  readonly side: 'left' | 'right'
  /** The store buffering this side's records, and the other side's. */
  readonly ownStore: string
  readonly otherStore: string
  readonly beforeMs: number
  readonly afterMs: number
  readonly join: (left: L, right: R, key: K) => O
}

/** One side of an interval join. Buffer entries: `windowKey(keyJson, t)` -> JSON array of the values at `t`. */
export class IntervalJoinSideOperator<L, R, O, K> implements Operator<L | R, O> {
  readonly #config: IntervalJoinSideConfig<L, R, O, K>
  /** How long a buffered record of this side can still find a partner: `afterMs` left, `beforeMs` right. */
  readonly #keepMs: number
  readonly #expiries = new ExpiryQueue()
  readonly #serde = jsonSerde<unknown[]>()
  /**
   * Cancels the expiry a failed record added: its buffer entry is gone again (the store's undo), and
   * the expiry, which deletes without looking, would otherwise write a tombstone for nothing.
   */
  readonly #expiryUndo: Revertible = {
    revert: (expiry) => this.#expiries.cancel(expiry as Expiry),
  }
  #context!: OperatorContext<O>
  #own!: OperatorStore
  #other!: OperatorStore
  #watermarkMs = -Infinity

  constructor(config: IntervalJoinSideConfig<L, R, O, K>) {
    this.#config = config
    this.#keepMs = config.side === 'left' ? config.afterMs : config.beforeMs
  }

  open(context: OperatorContext<O>): void {
    this.#context = context
    this.#own = context.store(this.#config.ownStore)
    this.#other = context.store(this.#config.otherStore)
    this.#expiries.clear()
    for (const stateKey of this.#own.keys()) {
      this.#expiries.add(decodeWindowKey(stateKey).startMs + this.#keepMs + 1, stateKey)
    }
  }

  process(record: Keyed<L | R>, timestampMs: number): void {
    requireKey(record, this.#context.operator)
    const { side, beforeMs, afterMs } = this.#config
    // Partners of a left record at t are right records in [t - beforeMs, t + afterMs]; partners of a
    // right record at t are left records in [t - afterMs, t + beforeMs].
    const fromMs = side === 'left' ? timestampMs - beforeMs : timestampMs - afterMs
    const toMs = side === 'left' ? timestampMs + afterMs : timestampMs + beforeMs
    if (timestampMs < this.#watermarkMs) {
      this.#context.late({
        key: record.key,
        value: record.value,
        timestampMs,
        lateByMs: this.#watermarkMs - timestampMs,
        watermarkMs: this.#watermarkMs,
        window: { startMs: fromMs, endMs: toMs + 1 },
        operator: this.#context.operator,
        source: record.source,
      })
      return
    }
    const keyBytes = Buffer.from(JSON.stringify(record.key) ?? 'null')
    const key = record.key as K
    for (const [stateKey, bytes] of this.#other.range(
      windowKey(keyBytes, fromMs),
      windowKey(keyBytes, toMs + 1),
    )) {
      const partnerMs = decodeWindowKey(stateKey).startMs
      const outMs = Math.max(timestampMs, partnerMs)
      for (const partner of this.#serde.decode(bytes)) {
        const value =
          side === 'left'
            ? this.#config.join(record.value as L, partner as R, key)
            : this.#config.join(partner as L, record.value as R, key)
        this.#context.forward({ key: record.key, value, source: record.source }, outMs)
      }
    }
    const stateKey = windowKey(keyBytes, timestampMs)
    const buffered = this.#own.get(stateKey)
    const values = buffered === undefined ? [] : this.#serde.decode(buffered)
    values.push(record.value)
    this.#own.put(stateKey, this.#serde.encode(values))
    if (buffered === undefined) {
      this.#context.undo.log(this.#expiryUndo, this.#expiries.add(timestampMs + this.#keepMs + 1, stateKey))
    }
  }

  onWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.#watermarkMs) return
    this.#watermarkMs = watermarkMs
    for (const { stateKey } of this.#expiries.popDue(watermarkMs)) this.#own.delete(stateKey)
  }

  onCommit(): void {}

  close(): void {
    this.#expiries.clear()
  }
}
