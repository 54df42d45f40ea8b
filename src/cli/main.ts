#!/usr/bin/env node
/** The `freshet` command line: one subcommand per concept, each in commands/. */
import { FreshetError } from '../errors/index.ts'
import { consumeCommand } from './commands/consume.ts'
import { demoCommand } from './commands/demo.ts'
import { describeCommand } from './commands/describe.ts'
import { dlqCommand } from './commands/dlq.ts'
import { flinkCommand } from './commands/flink.ts'
import { lagCommand } from './commands/lag.ts'
import { produceCommand } from './commands/produce.ts'
import { registryCommand } from './commands/registry.ts'
import { runCommand } from './commands/run.ts'
import { schemaCommand } from './commands/schema.ts'
import { sqlCommand } from './commands/sql.ts'
import { downCommand, statusCommand, upCommand } from './commands/stack.ts'
import { topicsCommand } from './commands/topics.ts'

type Command = { run: (argv: string[]) => Promise<number>; summary: string }

const COMMANDS: Record<string, Command> = {
  up: {
    run: upCommand,
    summary: 'start the local stack (Kafka KRaft + schema registry) and create the default topics',
  },
  down: { run: downCommand, summary: 'stop what `up` started' },
  status: {
    run: statusCommand,
    summary: 'show each service: up/down, address, pid, version; and the jobs with their workers',
  },
  topics: { run: topicsCommand, summary: 'create | list | describe | delete topics' },
  demo: {
    run: demoCommand,
    summary: 'the stack end to end: events produced and consumed live (Ctrl-C stops)',
  },
  produce: {
    run: produceCommand,
    summary: 'send realistic user events (Avro through the registry by default)',
  },
  consume: {
    run: consumeCommand,
    summary: 'read events with live statistics; undecodable records go to the DLQ',
  },
  run: {
    run: runCommand,
    summary: 'run a seed job (event-counts, revenue, ...) or your topology module as a worker of its group',
  },
  describe: {
    run: describeCommand,
    summary: 'print the topology of a seed job or a module: sub-topologies, topics, stores',
  },
  dlq: { run: dlqCommand, summary: 'inspect dead letters with their provenance; replay them exactly once' },
  lag: { run: lagCommand, summary: 'lag of a consumer group per partition and in total' },
  registry: { run: registryCommand, summary: 'run the schema registry in the foreground' },
  schema: { run: schemaCommand, summary: 'codegen: TypeScript types from the Avro schemas' },
  flink: {
    run: flinkCommand,
    summary: 'up | down | status of a local Flink 2.2 session cluster with its SQL Gateway',
  },
  sql: {
    run: sqlCommand,
    summary: 'run | explain a Flink SQL file on freshet, ddl from the registry, submit to Flink',
  },
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length))
  return [
    'usage: freshet <command> [options]   (freshet <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (!command) {
    console.error(`freshet: unknown command "${name}"\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (error) {
    if (error instanceof FreshetError) {
      console.error(`freshet ${name}: error ${error.code}: ${error.message}`)
      return error.code === 'FRESHET_INVALID_OPTION' ? 2 : 1
    }
    throw error
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
