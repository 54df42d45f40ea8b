#!/usr/bin/env -S node --max-semi-space-size=2
// The installed entry point: runs the compiled CLI (`npm run build` writes dist/), with the V8 flags
// of src/cli/node-flags.ts.
import { main } from '../dist/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
