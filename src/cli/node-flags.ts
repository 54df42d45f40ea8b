/**
 * The V8 flags the freshet command runs Node with (the shebang of bin/freshet.js and the `freshet`
 * script of a checkout pass them; a test checks that they agree with this list).
 *
 * `--max-semi-space-size=2` (MiB): V8's young generation may otherwise grow to 3 x 16 MiB, and a
 * stream processor allocates a decoded record, its value and its outputs per event, almost all
 * of it garbage within a batch. With the smaller young generation the scavenges are more frequent
 * and cheaper, and the heap does not ask the OS for memory it then keeps. Measured on the pipeline
 * benchmark's drain (1,000,000 events, docs/benchmarks.md): peak RSS 412-424 MiB without it,
 * 290-310 MiB with it, at the same or a higher rate. Node reads these flags only when it starts:
 * `v8.setFlagsFromString` afterwards leaves the young generation as it was.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2']
