/** Provenance headers on every dead letter: where it came from, why, and when. */
export const DLQ_HEADERS = {
  sourceTopic: 'freshet.dlq.source.topic',
  sourcePartition: 'freshet.dlq.source.partition',
  sourceOffset: 'freshet.dlq.source.offset',
  sourceTimestampMs: 'freshet.dlq.source.timestamp.ms',
  errorCode: 'freshet.dlq.error.code',
  errorMessage: 'freshet.dlq.error.message',
  deadLetteredAtMs: 'freshet.dlq.timestamp.ms',
  stage: 'freshet.dlq.stage',
} as const

/** The dead-letter topic of a topic, by convention `<topic>.dlq`. */
export function dlqTopicFor(topic: string): string {
  return `${topic}.dlq`
}
