/**
 * The advertised query endpoint of a worker (Kafka Streams' `application.server`): `host:port`,
 * where the other workers of the group reach its HTTP queries.
 */
import { FreshetError } from '../errors/index.ts'
import type { Check } from '../options/index.ts'

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/

function invalidEndpoint(where: string, key: string, value: unknown): FreshetError {
  return new FreshetError(
    'INVALID_OPTION',
    `${where}: option "${key}" must be host:port (a host name, an IPv4 address or a [bracketed] IPv6 address, and a port 1-65535), got ${JSON.stringify(value)}`,
    { details: { option: key, expected: 'host:port' } },
  )
}

/** Checks `host:port`; the port 1-65535 (an endpoint others connect to has a fixed port). */
export const endpointCheck: Check<string> = (where, key, value) => {
  if (typeof value !== 'string') throw invalidEndpoint(where, key, value)
  const at = value.lastIndexOf(':')
  const host = value.slice(0, at)
  const port = value.slice(at + 1)
  if (at <= 0 || !HOST.test(host) || !/^\d{1,5}$/.test(port)) throw invalidEndpoint(where, key, value)
  const number = Number(port)
  if (number < 1 || number > 65_535) throw invalidEndpoint(where, key, value)
  return value
}

/**
 * `http://host:port` (a trailing `/` allowed, nothing else) to the endpoint `host:port`; what
 * `freshet run --advertised-url` takes. Queries are plain HTTP between workers.
 */
export function endpointOfUrl(where: string, key: string, text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalidUrl(where, key, text)
  }
  if (
    url.protocol !== 'http:' ||
    url.port === '' ||
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    !/^http:\/\/[^/]+\/?$/.test(text)
  ) {
    throw invalidUrl(where, key, text)
  }
  return endpointCheck(where, key, `${url.hostname}:${url.port}`)
}

function invalidUrl(where: string, key: string, text: string): FreshetError {
  return new FreshetError(
    'INVALID_OPTION',
    `${where}: ${key} must be http://host:port (with the port, no path), got ${JSON.stringify(text)}`,
    { details: { option: key, expected: 'http://host:port' } },
  )
}
