/**
 * `freshet describe <job|module>`: the topology `freshet run` would run, without connecting to
 * anything: its sub-topologies with their nodes, the topics it reads and writes, its stores with
 * their changelogs, and the repartition topics it creates. `--json` prints the description as data.
 */
import { COMMON_HELP, common, parse } from '../args.ts'
import { runTarget } from './run.ts'

export const describeHelp = `freshet describe <job|module>: print the topology that freshet run would run: sub-topologies and
their nodes, source and sink topics, state stores with their changelog topics, repartition topics.
Nothing is connected to. Takes the flags of freshet run that shape the topology:

  --export NAME, --param KEY=VALUE, --application-id ID    (modules; see freshet run --help)
  --window, --advance, --gap, --top, --grace, --input, --output, --application-id    (seed jobs)
  --json                     the description as JSON

${COMMON_HELP}`

const DESCRIBE_OPTIONS = {
  window: { type: 'string' },
  advance: { type: 'string' },
  gap: { type: 'string' },
  top: { type: 'string' },
  grace: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  'application-id': { type: 'string' },
  export: { type: 'string' },
  param: { type: 'string', multiple: true },
} as const

export async function describeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, DESCRIBE_OPTIONS, true)
  if (values.help) return (console.log(describeHelp), 0)
  const c = common(values)
  const { topology } = await runTarget('describe', values, positionals)
  if (c.json) console.log(JSON.stringify(topology.description, null, 2))
  else process.stdout.write(topology.describe())
  return 0
}
