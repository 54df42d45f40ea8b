/**
 * Where the records an `EventProducer` sends come from: the generator of user events
 * (`GeneratedEvents`, the default) or lines of JSON validated against a schema (`JsonLines`). The
 * producer owns batching, delivery and outages; a source only makes records.
 */
import type { OutRecord } from '../kafka/index.ts'
import type { Serializer } from '../serde/index.ts'
import { EventGenerator } from './generator.ts'
import type { EventGeneratorOptions } from './generator-options.ts'
import type { UserEvent } from '../schemas/index.ts'

export interface RecordSource {
  /** Everything asynchronous before the first record (registering the schema, say). */
  init(): Promise<void>
  /**
   * Up to `max` records, at least one while the source lasts; none once it has ended. A rejection
   * ends the run: the producer sends nothing more and reports the error (a bad input line).
   */
  next(max: number): OutRecord[] | Promise<OutRecord[]>
  /** Whether the source ends by itself (a file), so that a run needs no count, duration or signal. */
  readonly finite: boolean
}

/** Generated user events, keyed by user_id, stamped with the event's timestamp. */
export class GeneratedEvents implements RecordSource {
  readonly finite = false
  readonly #topic: string
  readonly #generator: EventGenerator
  readonly #serializer: Serializer<UserEvent>

  constructor(topic: string, generator: EventGeneratorOptions, serializer: Serializer<UserEvent>) {
    this.#topic = topic
    this.#generator = new EventGenerator(generator)
    this.#serializer = serializer
  }

  init(): Promise<void> {
    return this.#serializer.init()
  }

  next(max: number): OutRecord[] {
    const records: OutRecord[] = new Array(max)
    const generator = this.#generator
    for (let i = 0; i < max; i++) {
      const event = generator.next()
      records[i] = {
        topic: this.#topic,
        key: generator.lastUserKey,
        value: this.#serializer.serialize(event),
        timestampMs: event.timestamp,
      }
    }
    return records
  }
}
