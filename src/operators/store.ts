/**
 * What operators use of a state store (src/state): byte keys and values, point reads and writes,
 * range, prefix and key scans in byte order, all synchronous, as per-record work never awaits. The task
 * owns the rest of `StateStore` (changelog, checkpoint, flush, close).
 */
import type { StateStore } from '../state/index.ts'

export type OperatorStore = Pick<StateStore, 'name' | 'get' | 'put' | 'delete' | 'range' | 'prefix' | 'keys'>
