/**
 * Windows of event time: definitions (tumbling, hopping, cumulating, session), assigning records to them,
 * merging sessions, and deciding when a window closes and whether a record is late. Pure code driven
 * by explicit timestamps and watermarks (see src/time for the watermark).
 */
export { WindowCloseQueue } from './close-queue.ts'
export {
  DEFAULT_EMIT_MODE,
  DEFAULT_GRACE_MS,
  MAX_WINDOWS_PER_RECORD,
  type CumulatingOptions,
  type HoppingOptions,
  type SessionOptions,
  type TumblingOptions,
  type WindowCloseQueueOptions,
} from './options.ts'
export { cumulating, CumulatingWindows } from './cumulating-windows.ts'
export { session, SessionWindows } from './session-windows.ts'
export { hopping, TimeWindows, tumbling } from './time-windows.ts'
export {
  EMIT_MODES,
  type ClosedWindow,
  type EmitMode,
  type SessionMerge,
  type Window,
  type WindowDefinition,
  type WindowKind,
} from './types.ts'
