/** The seed pipeline end to end in one process, behind `freshet demo` (docs/demo.md). */
export { Demo, DEMO_JOB_OPTIONS, type DemoJob } from './demo.ts'
export type { DemoOptions } from './options.ts'
