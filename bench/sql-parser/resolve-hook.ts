/**
 * dt-sql-parser 4.x ships ES modules whose relative imports name neither a file extension nor
 * `index.js` (`from './parser'`), which a bundler resolves and Node's ESM loader refuses
 * (ERR_UNSUPPORTED_DIR_IMPORT, ERR_MODULE_NOT_FOUND). This hook retries such an import, and only
 * from inside that package, as `<specifier>.js` or `<specifier>/index.js`. Register it before the
 * package is first imported.
 */
import { registerHooks } from 'node:module'

const PACKAGE_DIR = '/node_modules/dt-sql-parser/'

let registered = false

/** Registers the hook once per process; later calls do nothing. */
export function registerDtSqlParserResolution(): void {
  if (registered) return
  registered = true
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (!specifier.startsWith('.') || !context.parentURL?.includes(PACKAGE_DIR)) throw error
        if (code === 'ERR_UNSUPPORTED_DIR_IMPORT') return nextResolve(`${specifier}/index.js`, context)
        if (code === 'ERR_MODULE_NOT_FOUND') return nextResolve(`${specifier}.js`, context)
        throw error
      }
    },
  })
}
