export { readDeadLetter, toDeadLetter, type DeadLetter, type DeadLetterStage } from './dead-letter.ts'
export { DLQ_HEADERS, dlqTopicFor } from './headers.ts'
export {
  replayDeadLetters,
  REPLAYED_FROM_HEADER,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayResult,
} from './replay.ts'
