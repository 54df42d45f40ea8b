import type { TestContext } from 'node:test'
import { RegistryClient, startRegistry } from '../../src/registry/index.ts'
import { brokers, randomName } from './kafka.ts'

/** A registry for one test: in-process, on a free port, over its own random `_schemas` topic. */
export async function testRegistry(
  t: TestContext,
): Promise<{ url: string; client: RegistryClient; topic: string }> {
  const topic = randomName('_schemas')
  const registry = await startRegistry({ bootstrapBrokers: brokers(), port: 0, topic })
  t.after(() => registry.close())
  return { url: registry.url, client: new RegistryClient({ url: registry.url }), topic }
}
