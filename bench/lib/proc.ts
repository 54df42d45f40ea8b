/**
 * What Linux's /proc says about another process: its CPU time and its peak resident set, for the
 * broker and the Java peer, which report neither to the benchmark. Undefined where /proc is
 * missing (not Linux) or the process is gone.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let ticksPerSecond: number | undefined

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    const n = Number(out.stdout?.trim())
    ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100
  }
  return ticksPerSecond
}

/** User + system CPU time of `pid` so far, in milliseconds (the resolution of a clock tick). */
export function cpuTimeMs(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  const ticks = Number(fields[11]) + Number(fields[12])
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicks() : undefined
}

/** Peak resident set size of `pid` (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number | undefined {
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status)
  return m ? Number(m[1]) * 1024 : undefined
}
