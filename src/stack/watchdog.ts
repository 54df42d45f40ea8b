/**
 * Ends a child when its owner dies: `node watchdog.ts <ownerPid> <childPid>...`.
 * Tests and `freshet demo` start services attached to themselves; if they are killed with
 * SIGKILL they cannot clean up, so this detached process does it for them.
 */
import { isAlive, stopProcess } from './processes.ts'

const [ownerArg, ...childArgs] = process.argv.slice(2)
const owner = Number(ownerArg)
const children = childArgs.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0)

const timer = setInterval(() => {
  const living = children.filter(isAlive)
  if (living.length === 0) {
    clearInterval(timer)
    return
  }
  if (isAlive(owner)) return
  clearInterval(timer)
  void Promise.all(living.map((pid) => stopProcess(pid, 10_000))).then(() => process.exit(0))
}, 500)
