// Installs Apache Flink (pip and Maven) into the cache outside git ahead of `freshet flink up`,
// which installs it on first use otherwise. Called by `make flink`.
import { flinkHome, flinkInstalled, installFlink } from '../src/flink/install.ts'

if (flinkInstalled()) {
  console.log(`freshet: Flink present in ${flinkHome()}`)
} else {
  installFlink({ log: (line) => console.log(`freshet: ${line}`) })
}
