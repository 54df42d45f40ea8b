import { EventConsumer } from '../../consumer/index.ts'
import { FreshetError } from '../../errors/index.ts'
import { EventProducer, type ProduceProgress } from '../../producer/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { down, status, up } from '../../stack/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { shutdownSignal } from '../signals.ts'

export const demoHelp = `freshet demo: the local stack end to end. Starts Kafka and the registry (or finds them
running), produces realistic events at a steady rate and consumes them, printing live statistics.
Ctrl-C stops the producer and the consumer, then the services the demo itself started.

  --rate R     events per second (default 1000)

${COMMON_HELP}`

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { rate: { type: 'string' } })
  if (values.help) return (console.log(demoHelp), 0)
  const c = common(values)
  const ratePerSec = values.rate === undefined ? 1_000 : Number(values.rate)
  if (!(ratePerSec > 0))
    throw new FreshetError('INVALID_OPTION', `--rate must be > 0, got ${JSON.stringify(values.rate)}`)
  const before = await status(c.stack)
  const signal = shutdownSignal((name) => console.log(`\n${name}: stopping the demo`))

  console.log('freshet demo: starting the local stack')
  let startedHere: Array<'kafka' | 'registry'> = []
  let producer: EventProducer | undefined
  let consumer: EventConsumer | undefined
  let timer: NodeJS.Timeout | undefined
  try {
    const services = await up(c.stack, (line) => console.log(`  ${line}`))
    startedHere = services
      .filter((s) => s.managed && !before.find((b) => b.name === s.name)?.up)
      .map((s) => s.name)
    const kafka = services.find((s) => s.name === 'kafka')!
    const registry = services.find((s) => s.name === 'registry')!
    const client = new RegistryClient({ url: registry.address })
    producer = new EventProducer({
      bootstrapBrokers: [kafka.address],
      topic: 'user-events',
      ratePerSec,
      registry: client,
    })
    consumer = new EventConsumer({
      bootstrapBrokers: [kafka.address],
      topic: 'user-events',
      groupId: 'freshet-demo',
      registry: client,
    })
    const live = consumer
    let produced: ProduceProgress | undefined
    console.log(
      `freshet demo: producing ${ratePerSec} events/s to user-events and consuming them (Ctrl-C to stop)\n`,
    )
    timer = setInterval(() => {
      const s = live.stats.snapshot(3)
      const types = s.topEventTypes.map(([t, n]) => `${t} ${n}`).join(', ')
      const users = s.topUsers.map(([u, n]) => `${u} ${n}`).join(', ')
      console.log(
        `produced ${produced?.sent ?? 0} (${Math.round(produced?.ratePerSec ?? 0)}/s)  ` +
          `consumed ${s.total} (${Math.round(s.ratePerSec)}/s)  dead-lettered ${s.deadLettered}\n` +
          `  top types: ${types}\n  top users: ${users}`,
      )
    }, 2_000)
    await Promise.all([producer.run({ signal, onProgress: (p) => (produced = p) }), consumer.run({ signal })])
  } finally {
    clearInterval(timer)
    await producer?.close()
    await consumer?.close()
    if (startedHere.length > 0) {
      console.log(`freshet demo: stopping what it started: ${startedHere.join(', ')}`)
      await down(c.stack, () => {}, startedHere)
    }
    console.log('freshet demo: stopped')
  }
  return 0
}
