/**
 * The pipeline the integrity suite runs, and its closed-form oracle. Inputs are sequence numbers:
 * record `seq` has value and event time `seq`, and key `k<seq mod KEYS>`. The pipeline re-keys by a
 * second key (`seq mod GROUPS`, through a repartition topic, pre-aggregated per task before it),
 * counts and sums per one-second tumbling window, and writes one result per group and window. Every result is known in advance:
 * the count and sum of the sequence numbers of the group in the window.
 */
import { pipeline, type Topology } from '../../src/stream/index.ts'
import { tumbling } from '../../src/windows/index.ts'

export const KEYS = 60
export const GROUPS = 12
export const WINDOW_MS = 1_000

export interface SeqRecord {
  seq: number
  timestamp: number
}

export interface WindowSum {
  group: number
  start: number
  count: number
  sum: number
}

export function integrityTopology(applicationId: string, input: string, output: string): Topology {
  const app = pipeline({ applicationId })
  app
    .stream<SeqRecord>(input)
    .keyBy((r) => r.seq % GROUPS, { name: 'by-group' })
    .window(tumbling({ sizeMs: WINDOW_MS }))
    .aggregate(
      {
        init: () => [0, 0] as [number, number],
        add: (acc, r) => [acc[0] + 1, acc[1] + r.seq] as [number, number],
        // Pre-aggregated before the repartition (the default where it applies), so the faults
        // below hit partials in flight as well as records.
        merge: (a, b) => [a[0] + b[0], a[1] + b[1]] as [number, number],
        combinable: true,
      },
      { name: 'sums' },
    )
    .map((r): WindowSum => ({ group: r.key, start: r.window.startMs, count: r.value[0], sum: r.value[1] }))
    .to(output)
  return app.build()
}

/**
 * The same pipeline in Flink SQL: the JSON input's `timestamp` (epoch milliseconds) as the rowtime,
 * one-second tumbling windows per `seq mod GROUPS`, rows shaped as `integrityTopology` writes them
 * (Flink's JSON format keeps the numbers numbers), keyed by the group.
 */
export function integritySql(
  applicationId: string,
  input: string,
  output: string,
  bootstrap: string,
): string {
  return `SET 'pipeline.name' = '${applicationId}';
CREATE TABLE seqs (
  seq BIGINT NOT NULL,
  \`timestamp\` BIGINT NOT NULL,
  ts AS CAST(TO_TIMESTAMP_LTZ(\`timestamp\`, 3) AS TIMESTAMP(3)),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'kafka', 'topic' = '${input}', 'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE sums (\`group\` INT, \`start\` BIGINT, \`count\` BIGINT, \`sum\` BIGINT)
  WITH ('connector' = 'kafka', 'topic' = '${output}', 'properties.bootstrap.servers' = '${bootstrap}', 'format' = 'json');
INSERT INTO sums
SELECT CAST(MOD(seq, ${GROUPS}) AS INT), CAST(TIMESTAMPDIFF(SECOND, TIMESTAMP '1970-01-01 00:00:00', window_start) AS BIGINT) * 1000,
  COUNT(*), SUM(seq)
FROM TABLE(TUMBLE(TABLE seqs, DESCRIPTOR(ts), INTERVAL '${WINDOW_MS / 1000}' SECOND))
GROUP BY window_start, window_end, MOD(seq, ${GROUPS});
`
}

export function inputKey(seq: number): string {
  return `k${seq % KEYS}`
}

/** Every window that closes before `endMs` for the sequence numbers `0 .. count - 1`. */
export function oracle(count: number, endMs: number): WindowSum[] {
  const rows = new Map<string, WindowSum>()
  for (let seq = 0; seq < count; seq++) {
    const start = seq - (seq % WINDOW_MS)
    if (start + WINDOW_MS > endMs) continue
    const group = seq % GROUPS
    const id = `${group}/${start}`
    const row = rows.get(id) ?? { group, start, count: 0, sum: 0 }
    row.count++
    row.sum += seq
    rows.set(id, row)
  }
  return [...rows.values()].sort(byWindow)
}

export function byWindow(a: WindowSum, b: WindowSum): number {
  return a.start - b.start || a.group - b.group
}
