import { down, status, up, type ServiceStatus } from '../../stack/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { table } from '../table.ts'

function printStatus(services: ServiceStatus[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(services))
    return
  }
  console.log(
    table(
      ['SERVICE', 'STATE', 'ADDRESS', 'PID', 'VERSION'],
      services.map((s) => [s.name, s.up ? 'up' : 'down', s.address, s.pid, s.version]),
    ),
  )
}

export const upHelp = `freshet up: start the local stack (Kafka in KRaft mode, the schema registry) in the background
and create the default topics (user-events, event-analytics, user-events.dlq). A second \`up\`
finds the running stack instead of starting another.

${COMMON_HELP}`

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {})
  if (values.help) return (console.log(upHelp), 0)
  const c = common(values)
  const services = await up(c.stack, (line) => console.error(line))
  printStatus(services, c.json)
  return services.every((s) => s.up) ? 0 : 1
}

export const downHelp = `freshet down: stop the services \`freshet up\` started (registry, then Kafka), cleanly.

${COMMON_HELP}`

export async function downCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {})
  if (values.help) return (console.log(downHelp), 0)
  const c = common(values)
  await down(c.stack, (line) => console.error(line))
  return 0
}

export const statusHelp = `freshet status: each service of the local stack: up/down, address, pid, version.
Exits 0 when all are up, 3 otherwise.

${COMMON_HELP}`

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {})
  if (values.help) return (console.log(statusHelp), 0)
  const c = common(values)
  const services = await status(c.stack)
  printStatus(services, c.json)
  return services.every((s) => s.up) ? 0 : 3
}
