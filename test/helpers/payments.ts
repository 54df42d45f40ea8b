// A user's own schema, as someone building on freshet would bring it: a record with an enum and a
// nullable field, none of it known to freshet. The CLI tests produce and consume it end to end.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { rm } from 'node:fs/promises'

export const PAYMENT_SCHEMA = {
  type: 'record',
  name: 'Payment',
  namespace: 'com.example.payments',
  fields: [
    { name: 'payment_id', type: 'string' },
    { name: 'amount_cents', type: 'long' },
    {
      name: 'status',
      type: { type: 'enum', name: 'PaymentStatus', symbols: ['PENDING', 'SETTLED', 'FAILED'] },
    },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
} as const

export interface Payment {
  payment_id: string
  amount_cents: number
  status: 'PENDING' | 'SETTLED' | 'FAILED'
  note: string | null
}

export const PAYMENTS: Payment[] = [
  { payment_id: 'pay-1', amount_cents: 1250, status: 'SETTLED', note: null },
  { payment_id: 'pay-2', amount_cents: 99, status: 'PENDING', note: 'first order' },
  { payment_id: 'pay-3', amount_cents: 410_000, status: 'FAILED', note: 'card declined' },
]

export function jsonLines(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join('\n') + '\n'
}

/** A folder for the test, removed after it, with `payment.avsc` in it. */
export async function paymentsDir(t: TestContext): Promise<{ dir: string; schemaPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-payments-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const schemaPath = join(dir, 'payment.avsc')
  await writeFile(schemaPath, JSON.stringify(PAYMENT_SCHEMA, null, 2))
  return { dir, schemaPath }
}
