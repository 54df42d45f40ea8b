import { startRegistry } from '../../registry/index.ts'
import { COMMON_HELP, common, intFlag, parse } from '../args.ts'
import { shutdownSignal } from '../signals.ts'

export const registryHelp = `freshet registry: run the Confluent-compatible schema registry in the foreground.
Its state lives in the compacted Kafka topic _schemas; any number of instances may share it.

  --port N       HTTP port (default: --registry-port, 8081)
  --topic NAME   the registry's topic (default _schemas)

${COMMON_HELP}`

export async function registryCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, topic: { type: 'string' } })
  if (values.help) return (console.log(registryHelp), 0)
  const c = common(values)
  const port = intFlag('port', values.port, 0) ?? c.stack.registryPort
  const registry = await startRegistry({
    bootstrapBrokers: c.brokers,
    host: c.stack.host,
    port,
    ...(values.topic ? { topic: values.topic as string } : {}),
  })
  console.log(`freshet registry: listening on ${registry.url} (Kafka ${c.brokers.join(',')})`)
  const signal = shutdownSignal((name) => console.log(`freshet registry: ${name}, stopping`))
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  await registry.close()
  console.log('freshet registry: stopped')
  return 0
}
