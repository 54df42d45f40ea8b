package dev.freshet.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The peer of bench/pipeline.bench.ts: freshet's measured topologies written with Kafka Streams,
 * exactly-once (v2), one stream thread, RocksDB state.
 *
 * <ul>
 *   <li>{@code event-counts}: user events (Confluent-framed Avro) -> key by event_type ->
 *       repartition -> tumbling window -> count -> final results only (suppress until the window
 *       closes) -> one JSON row per type and window. The grace period is freshet's
 *       out-of-orderness bound plus its grace, so windows close at the same event time on both
 *       sides.
 *   <li>{@code revenue}: purchases only -> key by currency ("unknown" without one) -> repartition
 *       -> hopping windows -> purchases and the sum of the amounts in fixed point (ten-thousandths,
 *       as freshet sums money) -> final results only -> one JSON row per currency and window.
 *   <li>{@code sessions}: user events, keyed by user id already -> session windows -> events, page
 *       views, purchases, revenue and the purchases' currencies, merged as sessions merge -> final
 *       results only -> one JSON row per session.
 *   <li>{@code passthrough}: user events -> mapValues(identity) -> the same Avro to the output,
 *       with the input record's timestamp.
 * </ul>
 *
 * <p>It prints, one per line: {@code STARTED <epoch ms>} just before {@code KafkaStreams.start()}
 * and {@code RUNNING <epoch ms>} when the first rebalance completes. With {@code --records N}
 * (the jobs) it then prints {@code DRAINED <epoch ms> <records> <dropped>} when the first commit
 * has completed after the job took in the N-th input record and everything its first
 * sub-topology wrote to the repartition topic (event-counts: the N-th record in the second
 * sub-topology; revenue: the last purchase; sessions, one sub-topology: the N-th record), and
 * exits; without, it runs until its standard input closes.
 */
public final class StreamsPeer {
  private StreamsPeer() {}

  /** A serde that is its own serializer and deserializer, with nothing to configure or close. */
  abstract static class SelfSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {
    @Override
    public Serializer<T> serializer() {
      return this;
    }

    @Override
    public Deserializer<T> deserializer() {
      return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
  }

  /** Avro values in the Confluent wire format (magic byte, 4-byte schema id), without a registry. */
  static final class ConfluentAvroSerde extends SelfSerde<GenericRecord> {
    private final int schemaId;
    private final GenericDatumReader<GenericRecord> reader;
    private final GenericDatumWriter<GenericRecord> writer;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    private BinaryDecoder decoder;
    private BinaryEncoder encoder;

    ConfluentAvroSerde(Schema schema, int schemaId) {
      this.schemaId = schemaId;
      this.reader = new GenericDatumReader<>(schema);
      this.writer = new GenericDatumWriter<>(schema);
    }

    @Override
    public byte[] serialize(String topic, GenericRecord value) {
      if (value == null) return null;
      try {
        out.reset();
        out.write(0);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
        encoder = EncoderFactory.get().directBinaryEncoder(out, encoder);
        writer.write(value, encoder);
        encoder.flush();
        return out.toByteArray();
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    }

    @Override
    public GenericRecord deserialize(String topic, byte[] data) {
      if (data == null) return null;
      if (data.length < 5 || data[0] != 0) throw new SerializationException("not Confluent-framed Avro");
      try {
        decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, decoder);
        return reader.read(null, decoder);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    }
  }

  /** The figures of a revenue window or a session; money in ten-thousandths, as freshet sums it. */
  static final class Totals {
    long events;
    long pageViews;
    long purchases;
    long units;
    /** The purchases' currencies, sorted. */
    TreeSet<String> currencies = new TreeSet<>();

    Totals merge(Totals other) {
      Totals out = new Totals();
      out.events = events + other.events;
      out.pageViews = pageViews + other.pageViews;
      out.purchases = purchases + other.purchases;
      out.units = units + other.units;
      out.currencies.addAll(currencies);
      out.currencies.addAll(other.currencies);
      return out;
    }
  }

  static final class TotalsSerde extends SelfSerde<Totals> {
    @Override
    public byte[] serialize(String topic, Totals t) {
      if (t == null) return null;
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(t.events);
        out.writeLong(t.pageViews);
        out.writeLong(t.purchases);
        out.writeLong(t.units);
        out.writeUTF(String.join(",", t.currencies));
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    }

    @Override
    public Totals deserialize(String topic, byte[] data) {
      if (data == null) return null;
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        Totals t = new Totals();
        t.events = in.readLong();
        t.pageViews = in.readLong();
        t.purchases = in.readLong();
        t.units = in.readLong();
        for (String c : in.readUTF().split(",")) if (!c.isEmpty()) t.currencies.add(c);
        return t;
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    }
  }

  /**
   * Revenue's and sessions' tail: each window's final totals (a session merged into a later one
   * leaves a tombstone, dropped), as a JSON row of `job` with the figures `fields` gives, keyed by
   * the window's key.
   */
  static void writeRows(
      KTable<Windowed<String>, Totals> totals,
      String output,
      String job,
      BiFunction<Windowed<String>, Totals, String> fields) {
    totals
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .filter((window, value) -> value != null)
        .map((window, value) -> KeyValue.pair(window.key(), row(job, window, fields.apply(window, value))))
        .to(output, Produced.with(Serdes.String(), Serdes.String()));
  }

  /** An amount in ten-thousandths, rounded as freshet's toMoneyUnits rounds (half up). */
  static long moneyUnits(Object amount) {
    return amount == null ? 0 : Math.round(((Number) amount).doubleValue() * 10_000);
  }

  static String currencyOf(GenericRecord event) {
    Object currency = ((GenericRecord) event.get("data")).get("currency");
    return currency == null ? null : currency.toString();
  }

  static String jsonString(String s) {
    return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String row(String job, Windowed<String> window, String figures) {
    return "{\"job\":\""
        + job
        + "\",\"window_start\":"
        + window.window().start()
        + ",\"window_end\":"
        + window.window().end()
        + ",\"key\":"
        + jsonString(window.key())
        + ","
        + figures
        + "}";
  }

  /** The sum of every metric of that group and name (one per thread or task). */
  static double metricSum(KafkaStreams streams, String group, String name) {
    double sum = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      if (e.getKey().group().equals(group) && e.getKey().name().equals(name)) {
        Object v = e.getValue().metricValue();
        if (v instanceof Number n && !Double.isNaN(n.doubleValue())) sum += n.doubleValue();
      }
    }
    return sum;
  }

  static double commits(KafkaStreams streams) {
    return metricSum(streams, "stream-thread-metrics", "commit-total");
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + args[i]);
      out.put(args[i].substring(2), args[i + 1]);
    }
    return out;
  }

  static String need(Map<String, String> a, String name) {
    String v = a.get(name);
    if (v == null) throw new IllegalArgumentException("missing --" + name);
    return v;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    String input = need(a, "input");
    String output = need(a, "output");
    Schema schema = new Schema.Parser().parse(new File(need(a, "schema-file")));
    int schemaId = Integer.parseInt(need(a, "schema-id"));

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, need(a, "application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, need(a, "bootstrap"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    props.put(StreamsConfig.STATE_DIR_CONFIG, need(a, "state-dir"));
    if (a.containsKey("commit-interval-ms")) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(a.get("commit-interval-ms")));
    }

    AtomicLong processed = new AtomicLong();
    // Commits completed when the job took in its last record; -1 until then.
    AtomicLong commitsAtLast = new AtomicLong(-1);
    // revenue: purchases written to the repartition topic, and read back from it.
    AtomicLong purchasesWritten = new AtomicLong();
    AtomicLong purchasesRead = new AtomicLong();
    KafkaStreams[] holder = new KafkaStreams[1];
    long records = a.containsKey("records") ? Long.parseLong(a.get("records")) : -1;

    StreamsBuilder builder = new StreamsBuilder();
    String topology = need(a, "topology");
    if (topology.equals("passthrough")) {
      builder.stream(input, Consumed.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .mapValues(event -> event)
          .to(output, Produced.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)));
    } else if (topology.equals("event-counts")) {
      long windowMs = Long.parseLong(need(a, "window-ms"));
      long graceMs = Long.parseLong(need(a, "grace-ms"));
      builder.stream(input, Consumed.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .selectKey((key, event) -> event.get("event_type").toString())
          .repartition(
              Repartitioned.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId))
                  .withName("by-event-type"))
          .peek(
              (key, event) -> {
                // The stream thread commits between records, never during one: the next commit
                // that completes holds this record.
                if (processed.incrementAndGet() == records) commitsAtLast.set((long) commits(holder[0]));
              })
          .groupByKey(Grouped.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(windowMs), Duration.ofMillis(graceMs)))
          .count(
              Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts")
                  .withKeySerde(Serdes.String())
                  .withValueSerde(Serdes.Long()))
          .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
          .toStream()
          .map(
              (window, count) ->
                  KeyValue.pair(
                      window.key(),
                      "{\"job\":\"event-counts\",\"window_start\":"
                          + window.window().start()
                          + ",\"window_end\":"
                          + window.window().end()
                          + ",\"key\":\""
                          + window.key()
                          + "\",\"events\":"
                          + count
                          + "}"))
          .to(output, Produced.with(Serdes.String(), Serdes.String()));
    } else if (topology.equals("revenue")) {
      long windowMs = Long.parseLong(need(a, "window-ms"));
      long advanceMs = Long.parseLong(need(a, "advance-ms"));
      long graceMs = Long.parseLong(need(a, "grace-ms"));
      // The stream thread commits between records, never during one: the next commit that
      // completes holds every record counted here. Either sub-topology may take in the last one.
      Runnable markIfDrained =
          () -> {
            if (processed.get() == records
                && purchasesRead.get() == purchasesWritten.get()
                && commitsAtLast.get() < 0) commitsAtLast.set((long) commits(holder[0]));
          };
      KStream<String, GenericRecord> events =
          builder.stream(input, Consumed.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)));
      writeRows(
          events
          .peek((key, event) -> processed.incrementAndGet())
          .filter((key, event) -> event.get("event_type").toString().equals("purchase"))
          .selectKey(
              (key, event) -> {
                String currency = currencyOf(event);
                return currency == null ? "unknown" : currency;
              })
          .peek(
              (key, event) -> {
                purchasesWritten.incrementAndGet();
                markIfDrained.run();
              })
          .repartition(
              Repartitioned.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId))
                  .withName("by-currency"))
          .peek(
              (key, event) -> {
                purchasesRead.incrementAndGet();
                markIfDrained.run();
              })
          .groupByKey(Grouped.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .windowedBy(
              TimeWindows.ofSizeAndGrace(Duration.ofMillis(windowMs), Duration.ofMillis(graceMs))
                  .advanceBy(Duration.ofMillis(advanceMs)))
          .aggregate(
              Totals::new,
              (key, event, totals) -> {
                totals.purchases++;
                totals.units += moneyUnits(((GenericRecord) event.get("data")).get("amount"));
                return totals;
              },
              Materialized.<String, Totals, WindowStore<Bytes, byte[]>>as("totals")
                  .withKeySerde(Serdes.String())
                  .withValueSerde(new TotalsSerde())),
          output,
          "revenue",
          (window, totals) ->
              "\"purchases\":"
                  + totals.purchases
                  + ",\"revenue\":"
                  + totals.units / 10_000.0
                  + ",\"average_amount\":"
                  + totals.units / 10_000.0 / totals.purchases
                  + ",\"currency\":"
                  + jsonString(window.key().equals("unknown") ? null : window.key()));
    } else if (topology.equals("sessions")) {
      long gapMs = Long.parseLong(need(a, "gap-ms"));
      long graceMs = Long.parseLong(need(a, "grace-ms"));
      writeRows(
          builder.stream(input, Consumed.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .peek(
              (key, event) -> {
                if (!event.get("user_id").toString().equals(key)) {
                  throw new IllegalStateException("the input must be keyed by user_id, got " + key);
                }
                // One sub-topology: the next commit that completes holds this record.
                if (processed.incrementAndGet() == records) commitsAtLast.set((long) commits(holder[0]));
              })
          .groupByKey(Grouped.with(Serdes.String(), new ConfluentAvroSerde(schema, schemaId)))
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(gapMs), Duration.ofMillis(graceMs)))
          .aggregate(
              Totals::new,
              (key, event, totals) -> {
                totals.events++;
                String type = event.get("event_type").toString();
                if (type.equals("page_view")) totals.pageViews++;
                if (type.equals("purchase")) {
                  totals.purchases++;
                  totals.units += moneyUnits(((GenericRecord) event.get("data")).get("amount"));
                  String currency = currencyOf(event);
                  if (currency != null) totals.currencies.add(currency);
                }
                return totals;
              },
              (key, left, right) -> left.merge(right),
              Materialized.<String, Totals, SessionStore<Bytes, byte[]>>as("sessions")
                  .withKeySerde(Serdes.String())
                  .withValueSerde(new TotalsSerde())),
          output,
          "sessions",
          (window, totals) ->
              "\"events\":"
                  + totals.events
                  + ",\"page_views\":"
                  + totals.pageViews
                  + ",\"purchases\":"
                  + totals.purchases
                  + ",\"revenue\":"
                  + (totals.currencies.size() > 1 ? "null" : String.valueOf(totals.units / 10_000.0))
                  + ",\"currency\":"
                  + jsonString(totals.currencies.size() == 1 ? totals.currencies.first() : null)
                  + ",\"duration_ms\":"
                  + (window.window().end() - window.window().start()));
    } else {
      throw new IllegalArgumentException("unknown --topology " + topology);
    }

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    holder[0] = streams;
    AtomicBoolean running = new AtomicBoolean();
    AtomicBoolean failed = new AtomicBoolean();
    streams.setStateListener(
        (next, previous) -> {
          if (next == KafkaStreams.State.RUNNING && running.compareAndSet(false, true)) {
            System.out.println("RUNNING " + System.currentTimeMillis());
          }
        });
    streams.setUncaughtExceptionHandler(
        error -> {
          failed.set(true);
          System.out.println("FAILED " + error);
          error.printStackTrace();
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });

    // Without --records, the benchmark stops the peer by closing its standard input.
    AtomicBoolean inputClosed = new AtomicBoolean();
    if (records < 0) {
      Thread stdin =
          new Thread(
              () -> {
                try {
                  while (System.in.read() >= 0) {}
                } catch (IOException e) {
                  // Closed either way.
                }
                inputClosed.set(true);
              });
      stdin.setDaemon(true);
      stdin.start();
    }

    System.out.println("STARTED " + System.currentTimeMillis());
    streams.start();
    while (!failed.get() && !inputClosed.get()) {
      long at = commitsAtLast.get();
      if (at >= 0 && commits(streams) > at) {
        long drainedAt = System.currentTimeMillis();
        double dropped = metricSum(streams, "stream-task-metrics", "dropped-records-total");
        System.out.println("DRAINED " + drainedAt + " " + processed.get() + " " + (long) dropped);
        break;
      }
      Thread.sleep(5);
    }
    streams.close(Duration.ofSeconds(60));
    System.exit(failed.get() ? 1 : 0);
  }
}
