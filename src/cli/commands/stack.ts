import { jobsStatus, type JobStatus } from '../../runtime/index.ts'
import { DEFAULT_TOPICS, down, status, up, type ServiceStatus } from '../../stack/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { table } from '../table.ts'

function printStatus(services: ServiceStatus[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(services))
    return
  }
  console.log(servicesTable(services))
}

function servicesTable(services: ServiceStatus[]): string {
  return table(
    ['SERVICE', 'STATE', 'ADDRESS', 'PID', 'VERSION'],
    services.map((s) => [s.name, s.up ? 'up' : 'down', s.address, s.pid, s.version]),
  )
}

function jobsTable(jobs: JobStatus[]): string {
  if (jobs.length === 0) return 'no jobs (no consumer group with a <group>.dlq topic)'
  const lines = [
    table(
      ['JOB', 'STATE', 'WORKERS', 'LAG'],
      jobs.map((j) => [j.applicationId, j.state, j.workers.length, j.lag]),
    ),
  ]
  for (const job of jobs) {
    for (const worker of job.workers) {
      const partitions = worker.partitions.map((p) => `${p.topic} ${p.partitions.join(',')}`).join('; ')
      lines.push(
        `  ${job.applicationId} worker ${worker.workerId} (${worker.host}): ${partitions || 'no partitions'}`,
      )
    }
    for (const note of job.notes) lines.push(`  ${job.applicationId} note: ${note}`)
  }
  return lines.join('\n')
}

export const upHelp = `freshet up: start the local stack (Kafka in KRaft mode, the schema registry) in the background
and create the demo's topics (user-events, event-analytics, user-events.dlq). A second \`up\`
finds the running stack instead of starting another.

  --no-default-topics    create no topics: for a project of its own, which creates its topics
                         with \`freshet topics create\`

${COMMON_HELP}`

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { 'no-default-topics': { type: 'boolean' } })
  if (values.help) return (console.log(upHelp), 0)
  const c = common(values)
  const services = await up(
    c.stack,
    (line) => console.error(line),
    values['no-default-topics'] === true ? [] : DEFAULT_TOPICS,
  )
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

export const statusHelp = `freshet status: each service of the local stack (up/down, address, pid, version) and, with
Kafka up, the jobs: each application's consumer group, its state, its workers with the partitions
they hold, its total lag, and a note for what the lag leaves out (a topic deleted under the job,
a group that ended meanwhile). Exits 0 when all services are up, 3 otherwise.
With --json: {"services": [...], "jobs": [...]}.

${COMMON_HELP}`

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {})
  if (values.help) return (console.log(statusHelp), 0)
  const c = common(values)
  const services = await status(c.stack)
  const kafka = services.find((s) => s.name === 'kafka')
  const jobs = kafka?.up === true ? await jobsStatus([kafka.address]) : []
  if (c.json) console.log(JSON.stringify({ services, jobs }))
  else
    console.log(
      `${servicesTable(services)}\n\n${kafka?.up === true ? jobsTable(jobs) : 'jobs: Kafka is down'}`,
    )
  return services.every((s) => s.up) ? 0 : 3
}
