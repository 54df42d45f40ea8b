// The runnable example of docs/windows-and-time.md must run and print what the page says it prints.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'

const root = resolve(import.meta.dirname, '../..')
const page = readFileSync(join(root, 'docs/windows-and-time.md'), 'utf8')

function exampleSection(): { code: string; output: string } {
  const section = page.split('\n## Example\n')[1]
  assert.ok(section !== undefined, 'the page has an Example section')
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)]
  const code = blocks.find((b) => b[1] === 'ts')?.[2]
  const output = blocks.find((b) => b[1] === 'text')?.[2]
  assert.ok(code !== undefined && output !== undefined, 'the example has code and output blocks')
  return { code, output }
}

test('the example of docs/windows-and-time.md prints the output shown on the page', () => {
  const { code, output } = exampleSection()
  const rooted = code.replaceAll(/from '\.\/(src\/[^']+)'/g, (_m, path: string) => {
    return `from '${pathToFileURL(join(root, path)).href}'`
  })
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
