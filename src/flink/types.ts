import type { ServiceRecord } from '../stack/state.ts'

/** The three processes of a local Flink, in start-up order. */
export const FLINK_SERVICES = ['jobmanager', 'taskmanager', 'sql-gateway'] as const
export type FlinkServiceName = (typeof FLINK_SERVICES)[number]

/** What <state>/flink/flink.json records: each process `flink up` started. */
export type FlinkState = Partial<Record<FlinkServiceName, ServiceRecord>>

export interface FlinkServiceStatus {
  name: FlinkServiceName
  up: boolean
  /** The REST URL of the JobManager and the gateway; host:port of the TaskManager's RPC. */
  address: string
  pid: number | null
  version: string | null
  /** Started by this state directory (false: found running, started by someone else, or down). */
  managed: boolean
}
