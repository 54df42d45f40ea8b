import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatType } from '../../../src/sql/types/index.ts'
import { call, col, compile, errorOf, evaluate, int, nul, str, symbol, T } from '../helpers.ts'

const f = (name: string, ...args: Parameters<typeof call>[1]) => evaluate(call(name, args))

test('UPPER, LOWER, INITCAP, REVERSE, CHAR_LENGTH counting code points', () => {
  assert.equal(f('UPPER', str('abc')), 'ABC')
  assert.equal(f('LOWER', str('AbC')), 'abc')
  assert.equal(f('INITCAP', str('hello wORLD-foo bar1x')), 'Hello World-Foo Bar1x')
  assert.equal(f('REVERSE', str('ab😀')), '😀ba')
  assert.equal(f('CHAR_LENGTH', str('ab😀')), 3)
  assert.equal(f('CHARACTER_LENGTH', str('')), 0)
})

test('NULL in gives NULL out, and the type is nullable only when an argument is', () => {
  assert.equal(f('UPPER', nul()), null)
  assert.equal(evaluate(call('CONCAT', [str('a'), col('s')]), { s: null }, { s: T.string }), null)
  assert.equal(formatType(compile(call('UPPER', [str('a')])).type), 'STRING NOT NULL')
  assert.equal(formatType(compile(call('UPPER', [col('s')]), { s: T.string }).type), 'STRING')
})

test('TRIM trims spaces only, with flags and characters; LTRIM, RTRIM', () => {
  assert.equal(f('TRIM', str('  a b  ')), 'a b')
  assert.equal(f('TRIM', str('\ta ')), '\ta')
  assert.equal(f('TRIM', symbol('LEADING'), str('x'), str('xxaxx')), 'axx')
  assert.equal(f('TRIM', symbol('TRAILING'), str('x'), str('xxaxx')), 'xxa')
  assert.equal(f('TRIM', symbol('BOTH'), str('xy'), str('xyaxy')), 'a')
  assert.equal(f('LTRIM', str('  a  ')), 'a  ')
  assert.equal(f('RTRIM', str('  a  ')), '  a')
})

test('CONCAT and CONCAT_WS (which skips NULL values)', () => {
  assert.equal(f('CONCAT', str('a'), str('b'), str('c')), 'abc')
  assert.equal(f('CONCAT_WS', str('-'), str('a'), nul(), str('c')), 'a-c')
  assert.equal(f('CONCAT_WS', nul(), str('a')), null)
  assert.equal(errorOf(() => compile(call('CONCAT', [str('a'), int(1)]))).code, 'FRESHET_SQL_INVALID')
})

test('SUBSTRING is 1-based, negative start counts from the end, as Flink', () => {
  assert.equal(f('SUBSTRING', str('hello'), int(2)), 'ello')
  assert.equal(f('SUBSTRING', str('hello'), int(2), int(3)), 'ell')
  assert.equal(f('SUBSTR', str('hello'), int(0), int(2)), 'he')
  assert.equal(f('SUBSTRING', str('hello'), int(-3)), 'llo')
  assert.equal(f('SUBSTRING', str('hello'), int(2), int(-1)), '')
  assert.equal(f('SUBSTRING', str('hello'), int(9)), '')
})

test('REPLACE, POSITION, LOCATE, LEFT, RIGHT, REPEAT', () => {
  assert.equal(f('REPLACE', str('a.b.c'), str('.'), str('::')), 'a::b::c')
  assert.equal(f('POSITION', str('lo'), str('hello')), 4)
  assert.equal(f('POSITION', str('z'), str('hello')), 0)
  assert.equal(f('LOCATE', str('l'), str('hello'), int(4)), 4)
  assert.equal(f('LOCATE', str('l'), str('hello'), int(5)), 0)
  assert.equal(f('LEFT', str('hello'), int(2)), 'he')
  assert.equal(f('LEFT', str('hello'), int(-1)), '')
  assert.equal(f('RIGHT', str('hello'), int(3)), 'llo')
  assert.equal(f('REPEAT', str('ab'), int(3)), 'ababab')
  assert.equal(f('REPEAT', str('ab'), int(-1)), '')
})

test('LPAD and RPAD pad or shorten; an empty pad or negative length gives NULL', () => {
  assert.equal(f('LPAD', str('hi'), int(5), str('xy')), 'xyxhi')
  assert.equal(f('RPAD', str('hi'), int(5), str('xy')), 'hixyx')
  assert.equal(f('LPAD', str('hello'), int(2), str('x')), 'he')
  assert.equal(f('LPAD', str('hi'), int(5), str('')), null)
  assert.equal(f('RPAD', str('hi'), int(-1), str('x')), null)
})

test('SPLIT_INDEX is 0-based and NULL out of range', () => {
  assert.equal(f('SPLIT_INDEX', str('Jack,John,Mary'), str(','), int(2)), 'Mary')
  assert.equal(f('SPLIT_INDEX', str('Jack,John,Mary'), str(','), int(3)), null)
  assert.equal(f('SPLIT_INDEX', str('Jack,John,Mary'), str(','), int(-1)), null)
})

test('REGEXP, REGEXP_REPLACE (literal replacement), REGEXP_EXTRACT', () => {
  assert.equal(f('REGEXP', str('abc123'), str('\\d+')), true)
  assert.equal(f('REGEXP', str('abc'), str('^b')), false)
  assert.equal(f('REGEXP', str('abc'), str('(')), false, 'an invalid regex is FALSE')
  assert.equal(f('REGEXP_REPLACE', str('a1b22'), str('\\d+'), str('#')), 'a#b#')
  assert.equal(f('REGEXP_REPLACE', str('ab'), str('(a)'), str('$1$1')), '$1$1b')
  assert.equal(f('REGEXP_REPLACE', str('ab'), str('('), str('x')), null)
  assert.equal(f('REGEXP_EXTRACT', str('foo123bar'), str('([a-z]+)(\\d+)'), int(2)), '123')
  assert.equal(f('REGEXP_EXTRACT', str('foo123bar'), str('\\d+')), '123')
  assert.equal(f('REGEXP_EXTRACT', str('foo'), str('\\d+')), null)
  assert.equal(f('REGEXP_EXTRACT', str('foo1'), str('(\\d)'), int(3)), null)
  assert.equal(f('REGEXP', str('ABC'), str('(?i)abc')), true)
})

test('MD5, SHA256, TO_BASE64, FROM_BASE64', () => {
  assert.equal(f('MD5', str('abc')), '900150983cd24fb0d6963f7d28e17f72')
  assert.equal(f('SHA256', str('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  assert.equal(f('SHA2', str('abc'), int(256)), f('SHA256', str('abc')))
  assert.equal(f('TO_BASE64', str('héllo')), 'aMOpbGxv')
  assert.equal(f('FROM_BASE64', str('aMOpbGxv')), 'héllo')
})

test('wrong argument types or counts are refused at the call', () => {
  const error = errorOf(() => compile(call('UPPER', [int(1)])))
  assert.equal(error.code, 'FRESHET_SQL_INVALID')
  assert.match(
    error.message,
    /invalid arguments for function UPPER\(INT NOT NULL\); expected UPPER\(STRING\)/,
  )
  assert.equal(errorOf(() => compile(call('REPEAT', [str('a')]))).code, 'FRESHET_SQL_INVALID')
})

test("REPLACE with an empty search inserts around every character, as Java's String.replace", () => {
  assert.equal(f('REPLACE', str('abc'), str(''), str('x')), 'xaxbxcx')
  assert.equal(f('REPLACE', str('a$b'), str('$'), str('$$')), 'a$$b')
})
