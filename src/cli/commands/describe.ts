/**
 * `freshet describe <job|module>`: the topology `freshet run` would run, without connecting to
 * anything: its sub-topologies with their nodes, the topics it reads and writes, its stores with
 * their changelogs, and the repartition topics it creates. `--json` prints the description as data.
 */
import { COMMON_HELP, common, parse } from '../args.ts'
import { runTarget, TOPOLOGY_OPTIONS } from './run.ts'

export const describeHelp = `freshet describe <job|module>: print the topology that freshet run would run: sub-topologies and
their nodes, source and sink topics, state stores with their changelog topics, repartition topics.
Nothing is connected to. Takes the flags of freshet run that shape the topology:

  --export NAME, --param KEY=VALUE, --application-id ID    (modules; see freshet run --help)
  --window, --advance, --gap, --top, --grace, --input, --output, --application-id    (seed jobs)
  --json                     the description as JSON

${COMMON_HELP}`

export async function describeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, TOPOLOGY_OPTIONS, true)
  if (values.help) return (console.log(describeHelp), 0)
  const c = common(values)
  const { topology } = await runTarget('describe', values, positionals)
  if (c.json) console.log(JSON.stringify(topology.description, null, 2))
  else process.stdout.write(topology.describe())
  return 0
}
