// The runnable example of docs/state.md must run and print what the page says it prints.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'

const root = resolve(import.meta.dirname, '../..')
const page = readFileSync(join(root, 'docs/state.md'), 'utf8')

test('the example of docs/state.md prints the output shown on the page', () => {
  const section = page.split('\n## Example\n')[1]?.split('\n## ')[0]
  assert.ok(section !== undefined, 'the page has an Example section')
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)]
  const code = blocks.find((block) => block[1] === 'ts')?.[2]
  const output = blocks.find((block) => block[1] === 'text')?.[2]
  assert.ok(code !== undefined && output !== undefined, 'the example has code and output blocks')
  const rooted = code.replaceAll(/from '\.\/(src\/[^']+)'/g, (_match, path: string) => {
    return `from '${pathToFileURL(join(root, path)).href}'`
  })
  assert.notEqual(rooted, code, 'the example imports from src/')
  const dir = mkdtempSync(join(tmpdir(), 'freshet-doc-'))
  try {
    const file = join(dir, 'example.ts')
    writeFileSync(file, rooted)
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8' })
    assert.equal(run.stderr, '')
    assert.equal(run.status, 0)
    assert.equal(run.stdout, output)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
