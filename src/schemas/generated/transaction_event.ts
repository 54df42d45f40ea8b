// generated from schemas/transaction_event.avsc by `freshet schema codegen`; do not edit

import type { TypedSchema } from './typed-schema.ts'

/**
 * A payment for the contents of a cart. Each completed, pending or refunded transaction has one purchase
 * UserEvent per line item with the same transaction_id.
 */
export interface TransactionEvent {
  /** Unique id of the transaction, e.g. txn_3f9a0c1d2e4b5a69. */
  transaction_id: string
  /** The paying user, e.g. user_000123. */
  user_id: string
  /** The browsing session the checkout happened in. */
  session_id: string
  /** When the payment was attempted, in milliseconds since the Unix epoch (UTC). */
  timestamp: number
  /** Total of all line items, in currency. */
  amount: number
  /** ISO 4217 code of amount, e.g. USD. */
  currency: string
  /** Where the payment stands. */
  status: TransactionStatus
  /** How the user paid. */
  payment_method: PaymentMethod
  /** What was bought; never empty. */
  items: LineItem[]
}

/** Where the payment stands. */
export type TransactionStatus = 'pending' | 'completed' | 'failed' | 'refunded'

/** The symbols of TransactionStatus, in schema order. */
export const TransactionStatusSymbols: readonly TransactionStatus[] = [
  'pending',
  'completed',
  'failed',
  'refunded',
]

/** How the user paid. */
export type PaymentMethod =
  'credit_card' | 'debit_card' | 'paypal' | 'apple_pay' | 'google_pay' | 'bank_transfer'

/** The symbols of PaymentMethod, in schema order. */
export const PaymentMethodSymbols: readonly PaymentMethod[] = [
  'credit_card',
  'debit_card',
  'paypal',
  'apple_pay',
  'google_pay',
  'bank_transfer',
]

/** One product in the transaction. */
export interface LineItem {
  /** The product bought. */
  product_id: string
  /** How many units. */
  quantity: number
  /** Price of one unit, in the transaction's currency. */
  unit_price: number
}

/** The Avro schema of TransactionEvent, as written in schemas/transaction_event.avsc. */
export const TransactionEventSchema: TypedSchema<TransactionEvent> = {
  name: 'dev.freshet.events.TransactionEvent',
  source: 'schemas/transaction_event.avsc',
  schema: {
    type: 'record',
    name: 'TransactionEvent',
    namespace: 'dev.freshet.events',
    doc: 'A payment for the contents of a cart. Each completed, pending or refunded transaction has one purchase UserEvent per line item with the same transaction_id.',
    fields: [
      {
        name: 'transaction_id',
        type: 'string',
        doc: 'Unique id of the transaction, e.g. txn_3f9a0c1d2e4b5a69.',
      },
      {
        name: 'user_id',
        type: 'string',
        doc: 'The paying user, e.g. user_000123.',
      },
      {
        name: 'session_id',
        type: 'string',
        doc: 'The browsing session the checkout happened in.',
      },
      {
        name: 'timestamp',
        type: {
          type: 'long',
          logicalType: 'timestamp-millis',
        },
        doc: 'When the payment was attempted, in milliseconds since the Unix epoch (UTC).',
      },
      {
        name: 'amount',
        type: 'double',
        doc: 'Total of all line items, in currency.',
      },
      {
        name: 'currency',
        type: 'string',
        doc: 'ISO 4217 code of amount, e.g. USD.',
      },
      {
        name: 'status',
        type: {
          type: 'enum',
          name: 'TransactionStatus',
          doc: 'Where the payment stands.',
          symbols: ['pending', 'completed', 'failed', 'refunded'],
        },
        doc: 'Where the payment stands.',
      },
      {
        name: 'payment_method',
        type: {
          type: 'enum',
          name: 'PaymentMethod',
          doc: 'How the user paid.',
          symbols: ['credit_card', 'debit_card', 'paypal', 'apple_pay', 'google_pay', 'bank_transfer'],
        },
        doc: 'How the user paid.',
      },
      {
        name: 'items',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'LineItem',
            doc: 'One product in the transaction.',
            fields: [
              {
                name: 'product_id',
                type: 'string',
                doc: 'The product bought.',
              },
              {
                name: 'quantity',
                type: 'int',
                doc: 'How many units.',
              },
              {
                name: 'unit_price',
                type: 'double',
                doc: "Price of one unit, in the transaction's currency.",
              },
            ],
          },
        },
        doc: 'What was bought; never empty.',
      },
    ],
  },
}
