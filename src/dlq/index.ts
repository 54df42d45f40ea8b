export { readDeadLetter, toDeadLetter, type DeadLetter, type DeadLetterStage } from './dead-letter.ts'
export { DLQ_HEADERS, dlqTopicFor } from './headers.ts'
