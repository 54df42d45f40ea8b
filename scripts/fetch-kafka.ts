// Installs the Apache Kafka jars (broker + tools) into the cache outside git. Called by `make install`.
import { fetchKafkaJars, kafkaLibsDir, kafkaJarsPresent } from '../src/stack/kafka-jars.ts'

if (kafkaJarsPresent()) {
  console.log(`freshet: Kafka jars present in ${kafkaLibsDir()}`)
} else {
  fetchKafkaJars({ log: (line) => console.log(`freshet: ${line}`) })
}
