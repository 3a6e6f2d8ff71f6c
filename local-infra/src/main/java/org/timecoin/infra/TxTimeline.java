package org.timecoin.infra;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BiConsumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.VoteEntry;
import org.timecoin.protocol.stack.StackRecords;

/**
 * Where a transaction's time goes on a devnet, from the records' own timestamps (each producer stamps CreateTime): for
 * every transaction and node, when it reached the node's {@code tx.submitted} (from the gateway or relayed by p2p), when
 * the ledger's verdict was written, when consensus sent its vote, and when the finality certificate was written. Prints
 * percentiles per stage and the verdicts that were rejections, by reason. Blocks likewise: when each node's consensus
 * wrote the committed block to {@code blocks.finalized} and when its ledger wrote {@code blocks.applied}, so the spread
 * from the first commit anywhere to the last node's apply is the block's propagation to every node. Read-only: it reads
 * every node's topics from the beginning under no consumer group.
 */
final class TxTimeline {
    private static final int SUBMITTED = 0, VERDICT = 1, VOTE = 2, FINAL = 3;
    private static final String[] STAGES = {"tx.submitted", "tx.verdicts", "consensus.out (vote)", "tx.finalized"};

    private final int nodes;
    private final long sinceMillis;
    /** txid -> node -> stage -> first timestamp (ms). */
    private final Map<Hash, long[][]> times = new HashMap<>();
    private final Map<String, Integer> rejections = new TreeMap<>();
    private static final int COMMITTED = 0, APPLIED = 1;
    /** height -> node -> {blocks.finalized, blocks.applied} timestamp (ms). */
    private final Map<Long, long[][]> blocks = new TreeMap<>();
    /** height -> the proposer's timestamp in the block header. */
    private final Map<Long, Long> proposed = new HashMap<>();

    private TxTimeline(int nodes, long sinceMillis) {
        this.nodes = nodes;
        this.sinceMillis = sinceMillis;
    }

    /** Transactions first submitted in the last {@code lastSeconds} (0: all). */
    static int print(LocalKafka kafka, int nodes, long lastSeconds) {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the Kafka client's configuration dump is noise here
        TxTimeline t = new TxTimeline(nodes, lastSeconds <= 0 ? 0 : System.currentTimeMillis() - lastSeconds * 1000);
        Properties p = new Properties();
        p.putAll(kafka.adminConfig());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            for (int node = 0; node < nodes; node++) {
                int n = node;
                t.read(consumer, "node" + node + ".tx.submitted", (r, v) -> t.stamp(Transaction.decode(v).txid(), n, SUBMITTED, r.timestamp()));
                t.read(consumer, "node" + node + ".tx.verdicts", (r, v) -> {
                    for (StackRecords.Verdict verdict : StackRecords.decodeVerdicts(v)) {
                        t.stamp(verdict.txid(), n, VERDICT, r.timestamp());
                        if (verdict.verdict() == TxVerdict.REJECT && r.timestamp() >= t.sinceMillis) t.rejections.merge(verdict.reason(), 1, Integer::sum);
                    }
                });
                t.read(consumer, "node" + node + ".consensus.out", (r, v) -> {
                    if (StackRecords.decodePeerTraffic(v) instanceof StackRecords.Votes votes)
                        for (VoteEntry e : votes.batch().entries()) t.stamp(e.txid(), n, VOTE, r.timestamp());
                });
                t.read(consumer, "node" + node + ".tx.finalized", (r, v) -> {
                    for (StackRecords.TxOutcome o : StackRecords.decodeTxOutcomes(v).outcomes())
                        if (o instanceof StackRecords.Finalized f) t.stamp(f.certificate().txid(), n, FINAL, r.timestamp());
                });
                t.read(consumer, "node" + node + ".blocks.finalized", (r, v) -> {
                    var header = StackRecords.decodeFinalizedBlock(v).block().header();
                    t.proposed.putIfAbsent(header.height(), header.timestampMillis());
                    t.stampBlock(header.height(), n, COMMITTED, r.timestamp());
                });
                t.read(consumer, "node" + node + ".blocks.applied", (r, v) -> t.stampBlock(StackRecords.decodeBlockApplied(v).height(), n, APPLIED, r.timestamp()));
            }
        }
        t.report();
        return 0;
    }

    private void stamp(Hash txid, int node, int stage, long millis) {
        long[][] byNode = times.computeIfAbsent(txid, k -> new long[nodes][4]);
        if (byNode[node][stage] == 0) byNode[node][stage] = millis;
    }

    private void stampBlock(long height, int node, int stage, long millis) {
        long[][] byNode = blocks.computeIfAbsent(height, k -> new long[nodes][2]);
        if (byNode[node][stage] == 0) byNode[node][stage] = millis;
    }

    private void read(KafkaConsumer<byte[], byte[]> consumer, String topic, BiConsumer<ConsumerRecord<byte[], byte[]>, byte[]> onRecord) {
        List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
        if (partitions == null || partitions.isEmpty()) return;
        List<TopicPartition> tps = partitions.stream().map(pi -> new TopicPartition(topic, pi.partition())).toList();
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps);
        while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                try {
                    onRecord.accept(r, r.value());
                } catch (RuntimeException e) {
                    // a record of another kind on the topic (consensus messages, releases): not part of the timeline
                }
            }
        }
    }

    private void report() {
        // per stage pair, over every (tx, node) that has both; "origin" = the first tx.submitted anywhere
        Map<String, List<Long>> spans = new java.util.LinkedHashMap<>();
        int complete = 0;
        int counted = 0;
        for (long[][] byNode : times.values()) {
            long origin = Long.MAX_VALUE;
            for (long[] n : byNode) if (n[SUBMITTED] > 0) origin = Math.min(origin, n[SUBMITTED]);
            if (origin == Long.MAX_VALUE || origin < sinceMillis) continue;
            counted++;
            boolean allFinal = true;
            for (long[] n : byNode) {
                if (n[SUBMITTED] > 0 && n[SUBMITTED] != origin) add(spans, "origin -> relayed to another node's tx.submitted (p2p)", n[SUBMITTED] - origin);
                for (int s = SUBMITTED; s < FINAL; s++)
                    if (n[s] > 0 && n[s + 1] > 0) add(spans, "node: " + STAGES[s] + " -> " + STAGES[s + 1], n[s + 1] - n[s]);
                if (n[FINAL] > 0) add(spans, "origin -> node's tx.finalized", n[FINAL] - origin);
                else allFinal = false;
            }
            if (allFinal) complete++;
        }
        System.out.printf("%d transactions, final on every node: %d%n", counted, complete);
        table("stage (ms, from producer timestamps)", spans);
        if (!rejections.isEmpty()) System.out.println("rejecting verdicts by reason: " + rejections);

        Map<String, List<Long>> blockSpans = new java.util.LinkedHashMap<>();
        int everywhere = 0;
        for (var e : blocks.entrySet()) {
            long first = Long.MAX_VALUE;
            for (long[] n : e.getValue()) if (n[COMMITTED] > 0) first = Math.min(first, n[COMMITTED]);
            if (first == Long.MAX_VALUE || first < sinceMillis || e.getKey() == 0) continue;
            Long proposal = proposed.get(e.getKey());
            if (proposal != null) add(blockSpans, "proposer's timestamp -> first node's blocks.finalized (round)", first - proposal);
            long last = 0;
            boolean all = true;
            for (long[] n : e.getValue()) {
                if (n[COMMITTED] > 0) add(blockSpans, "first blocks.finalized -> node's blocks.finalized", n[COMMITTED] - first);
                if (n[APPLIED] > 0) add(blockSpans, "first blocks.finalized -> node's blocks.applied", n[APPLIED] - first);
                if (n[APPLIED] > 0) last = Math.max(last, n[APPLIED]);
                else all = false;
            }
            if (all) {
                everywhere++;
                add(blockSpans, "first blocks.finalized -> applied on every node (propagation)", last - first);
            }
        }
        if (blockSpans.isEmpty()) return;
        System.out.printf("%n%d blocks applied on every node%n", everywhere);
        table("block stage (ms, from producer timestamps)", blockSpans);
    }

    private static void table(String heading, Map<String, List<Long>> spans) {
        System.out.printf("%-64s %8s %8s %8s %8s %8s%n", heading, "count", "p50", "p90", "p99", "max");
        spans.forEach((name, v) -> {
            Collections.sort(v);
            System.out.printf("%-64s %8d %8d %8d %8d %8d%n", name, v.size(), pct(v, 0.50), pct(v, 0.90), pct(v, 0.99), v.get(v.size() - 1));
        });
    }

    private static void add(Map<String, List<Long>> spans, String name, long millis) {
        spans.computeIfAbsent(name, k -> new ArrayList<>()).add(millis);
    }

    private static long pct(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(q * sorted.size())));
    }
}
