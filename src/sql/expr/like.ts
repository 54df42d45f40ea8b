/**
 * SQL LIKE: `%` any sequence, `_` any one character, an optional escape character that makes the
 * next `%`, `_` or escape literal (anything else after it is an error, as in Flink). Patterns that
 * are a plain prefix, suffix, infix or whole string skip the regular expression.
 */

const REGEX_SYNTAX = /[\\^$.|?*+()[\]{}/]/g

/** Compiles a LIKE pattern into a matcher; `fail` reports a malformed escape. */
export function likeMatcher(
  pattern: string,
  escape: string | undefined,
  fail: (message: string) => never,
): (s: string) => boolean {
  let regex = ''
  let literal = ''
  const parts: Array<{ wildcard: '%' | '_' } | { text: string }> = []
  const chars = Array.from(pattern)
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string
    if (escape !== undefined && c === escape) {
      const next = chars[i + 1]
      if (next !== '%' && next !== '_' && next !== escape) {
        fail(`invalid escape sequence in LIKE pattern '${pattern}'`)
      }
      literal += next
      i++
      continue
    }
    if (c === '%' || c === '_') {
      if (literal !== '') parts.push({ text: literal })
      literal = ''
      parts.push({ wildcard: c })
      continue
    }
    literal += c
  }
  if (literal !== '') parts.push({ text: literal })
  const fast = simpleMatcher(parts)
  if (fast !== undefined) return fast
  for (const part of parts) {
    if ('text' in part) regex += part.text.replace(REGEX_SYNTAX, '\\$&')
    else regex += part.wildcard === '%' ? '.*' : '.'
  }
  const compiled = new RegExp(`^${regex}$`, 'su')
  return (s) => compiled.test(s)
}

function simpleMatcher(
  parts: ReadonlyArray<{ wildcard: '%' | '_' } | { text: string }>,
): ((s: string) => boolean) | undefined {
  if (parts.some((part) => 'wildcard' in part && part.wildcard === '_')) return undefined
  const texts = parts.filter((part): part is { text: string } => 'text' in part)
  if (texts.length > 1) return undefined
  const text = texts[0]?.text ?? ''
  const leading = parts.length > 0 && 'wildcard' in parts[0]!
  const trailing = parts.length > 0 && 'wildcard' in parts[parts.length - 1]!
  if (texts.length === 0) return parts.length === 0 ? (s) => s === '' : () => true
  if (leading && trailing) return (s) => s.includes(text)
  if (leading) return (s) => s.endsWith(text)
  if (trailing) return (s) => s.startsWith(text)
  return (s) => s === text
}
