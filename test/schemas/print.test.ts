import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runInNewContext } from 'node:vm'
import * as prettier from 'prettier'
import { printDoc, printUnion, printValue, quote } from '../../src/schemas/print.ts'

const OPTIONS = {
  parser: 'typescript',
  printWidth: 110,
  singleQuote: true,
  semi: false,
  trailingComma: 'all',
} as const

async function same(text: string): Promise<void> {
  assert.equal(text, await prettier.format(text, OPTIONS))
}

test('strings are quoted as prettier quotes them', async () => {
  for (const text of [
    'plain',
    "it's",
    'say "hi"',
    `both ' and "" here`,
    "more '' than \"",
    'back\\slash',
    'tab\tnew\nline',
    '\u0001',
    '',
  ]) {
    await same(`export const x = ${quote(text)}\n`)
    assert.equal(runInNewContext(quote(text)), text)
  }
})

test('values: objects expand, short arrays stay on one line, long ones break', async () => {
  const value = {
    short: ['a', 'b'],
    long: Array.from({ length: 20 }, (_, i) => `symbol_number_${i}`),
    nested: [{ a: 1 }, { b: [] }],
    pairs: [
      [1, 2],
      [3, 4],
    ],
    empty: {},
    'needs-quotes': null,
    numbers: [1e21, -0.5, 100],
  }
  const head = 'export const x = '
  await same(`${head}${printValue(value, '', head.length, '')}\n`)
})

test('unions and doc comments', async () => {
  const members = Array.from({ length: 12 }, (_, i) => `'member_${i}'`)
  await same(`${printUnion('export type A = ', members.slice(0, 2), '')}\n`)
  await same(`${printUnion('export type B = ', members.slice(0, 9), '')}\n`)
  await same(`${printUnion('export type C = ', members, '')}\n`)
  const doc = printDoc('word '.repeat(60), '')
  assert.ok(doc.split('\n').every((line) => line.length <= 110))
  await same(`${doc}export const y = 1\n`)
  assert.equal(printDoc(undefined, ''), '')
  assert.equal(printDoc('closes */ early', ''), '/** closes *\\/ early */\n')
})
