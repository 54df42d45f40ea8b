/** A subject and one of its versions, as the CLI names them: `payments-value` or `payments-value:3`. */
import { FreshetError } from '../errors/index.ts'

export interface SubjectVersion {
  subject: string
  version: number | 'latest'
}

/**
 * Parses `SUBJECT` (its latest version) or `SUBJECT:VERSION` (a version number or `latest`). Only
 * a trailing `:<digits>` or `:latest` is a version, so a subject that itself holds a colon is read
 * whole.
 */
export function parseSubjectVersion(text: string): SubjectVersion {
  const match = /^(.+):(\d+|latest)$/.exec(text)
  const subject = match?.[1] ?? text
  const version = match === null ? 'latest' : match[2] === 'latest' ? 'latest' : Number(match[2])
  if (subject.trim() === '' || version === 0) {
    throw new FreshetError(
      'INVALID_OPTION',
      `a subject is SUBJECT or SUBJECT:VERSION (a version >= 1 or latest), got ${JSON.stringify(text)}`,
      { details: { subject: text } },
    )
  }
  return { subject, version }
}
