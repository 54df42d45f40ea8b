// generated from schemas/user_event.avsc by `freshet schema codegen`; do not edit

import type { TypedSchema } from './typed-schema.ts'

/**
 * One interaction of a user with the shop: a page view, a click, a cart change, a purchase, a search or an
 * account event.
 */
export interface UserEvent {
  /** When the event happened, in milliseconds since the Unix epoch (UTC). */
  timestamp: number
  /** What the user did. */
  event_type: EventType
  /** The user who did it, e.g. user_000123. */
  user_id: string
  /** Version of the event contract the producer followed. */
  version: string
  /** Details of the event. */
  data: EventData
}

/** What the user did. */
export type EventType =
  | 'page_view'
  | 'button_click'
  | 'form_submit'
  | 'purchase'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'search'
  | 'login'
  | 'logout'
  | 'signup'

/** The symbols of EventType, in schema order. */
export const EventTypeSymbols: readonly EventType[] = [
  'page_view',
  'button_click',
  'form_submit',
  'purchase',
  'add_to_cart',
  'remove_from_cart',
  'search',
  'login',
  'logout',
  'signup',
]

/** Details of the event; which optional fields are set depends on event_type. */
export interface EventData {
  /** The product viewed, added, removed or bought; null when no product is involved. */
  product_id: string | null
  /** Money involved (unit price for cart changes, line total for purchases), in currency; null otherwise. */
  amount: number | null
  /** ISO 4217 code of amount, e.g. USD; null when amount is null. */
  currency: string | null
  /** The browsing session the event belongs to. */
  session_id: string
  /** Device class: mobile, desktop or tablet. */
  device: string
  /** Browser family: chrome, safari, firefox or edge. */
  browser: string
  /** What the user searched for; set on search events only. */
  search_query: string | null
  /** The TransactionEvent a purchase belongs to; set on purchase events only. */
  transaction_id: string | null
}

/** The Avro schema of UserEvent, as written in schemas/user_event.avsc. */
export const UserEventSchema: TypedSchema<UserEvent> = {
  name: 'dev.freshet.events.UserEvent',
  source: 'schemas/user_event.avsc',
  schema: {
    type: 'record',
    name: 'UserEvent',
    namespace: 'dev.freshet.events',
    doc: 'One interaction of a user with the shop: a page view, a click, a cart change, a purchase, a search or an account event.',
    fields: [
      {
        name: 'timestamp',
        type: {
          type: 'long',
          logicalType: 'timestamp-millis',
        },
        doc: 'When the event happened, in milliseconds since the Unix epoch (UTC).',
      },
      {
        name: 'event_type',
        type: {
          type: 'enum',
          name: 'EventType',
          doc: 'What the user did.',
          symbols: [
            'page_view',
            'button_click',
            'form_submit',
            'purchase',
            'add_to_cart',
            'remove_from_cart',
            'search',
            'login',
            'logout',
            'signup',
          ],
        },
        doc: 'What the user did.',
      },
      {
        name: 'user_id',
        type: 'string',
        doc: 'The user who did it, e.g. user_000123.',
      },
      {
        name: 'version',
        type: 'string',
        default: '1.0',
        doc: 'Version of the event contract the producer followed.',
      },
      {
        name: 'data',
        type: {
          type: 'record',
          name: 'EventData',
          doc: 'Details of the event; which optional fields are set depends on event_type.',
          fields: [
            {
              name: 'product_id',
              type: ['null', 'string'],
              default: null,
              doc: 'The product viewed, added, removed or bought; null when no product is involved.',
            },
            {
              name: 'amount',
              type: ['null', 'double'],
              default: null,
              doc: 'Money involved (unit price for cart changes, line total for purchases), in currency; null otherwise.',
            },
            {
              name: 'currency',
              type: ['null', 'string'],
              default: null,
              doc: 'ISO 4217 code of amount, e.g. USD; null when amount is null.',
            },
            {
              name: 'session_id',
              type: 'string',
              doc: 'The browsing session the event belongs to.',
            },
            {
              name: 'device',
              type: 'string',
              doc: 'Device class: mobile, desktop or tablet.',
            },
            {
              name: 'browser',
              type: 'string',
              doc: 'Browser family: chrome, safari, firefox or edge.',
            },
            {
              name: 'search_query',
              type: ['null', 'string'],
              default: null,
              doc: 'What the user searched for; set on search events only.',
            },
            {
              name: 'transaction_id',
              type: ['null', 'string'],
              default: null,
              doc: 'The TransactionEvent a purchase belongs to; set on purchase events only.',
            },
          ],
        },
        doc: 'Details of the event.',
      },
    ],
  },
}
