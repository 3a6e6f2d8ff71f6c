package org.timecoin.p2p.net;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.wire.WireMessage.Kind;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/**
 * Prints p2p figures for docs/BENCHMARKS.md (not a pass/fail test; runs only with -Dtimecoin.bench=true):
 * {@code ./mvnw -pl p2p-service -am test -Dtest=P2pBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dtimecoin.bench=true}
 */
class P2pBenchmark {
    final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    record Started(PeerNetwork net, RecordingStack stack) {
    }

    Started start(int index, List<String> seeds, Map<Kind, Double> rates) {
        RecordingStack stack = new RecordingStack();
        PeerNetwork net = new PeerNetwork(TestChain.fastConfig(0, seeds).ratesPerSecond(rates).build(), TestChain.nodeKey(index), stack, new SimpleMeterRegistry(), List.of());
        vertx.deployVerticle(net).toCompletionStage().toCompletableFuture().join();
        net.blockApplied(0, TestChain.GENESIS.validatorSet());
        return new Started(net, stack);
    }

    @Test
    void fanOutAndSync() {
        Assumptions.assumeTrue(Boolean.getBoolean("timecoin.bench"), "run with -Dtimecoin.bench=true");
        // rate limits far above the offered load: this measures the transport, not the limiter
        Map<Kind, Double> open = Map.of(Kind.TRANSACTION, 1e6, Kind.VOTE, 1e6, Kind.BLOCK, 1e6, Kind.CONTROL, 1e6);
        Started a = start(0, List.of(), open);
        List<Started> others = new ArrayList<>();
        for (int i = 1; i < 4; i++) others.add(start(i, List.of("127.0.0.1:" + a.net().port()), open));
        await().atMost(Duration.ofSeconds(30)).until(() -> others.stream().allMatch(o -> o.net().peers().stream().filter(p -> p.authenticated()).count() == 3));

        int n = Integer.getInteger("timecoin.bench.messages", 20_000);
        List<SignedConsensusMessage> messages = new ArrayList<>(n);
        for (long h = 1; h <= n; h++) {
            messages.add(SignedConsensusMessage.sign(new ConsensusMessage.Prepare(TestChain.CHAIN, h, 0, TestChain.nodeKey(0).publicKey(), Hash.ZERO),
                    TestChain.nodeKey(0)));
        }
        long[] sentAt = new long[n + 1];
        long t0 = System.nanoTime();
        for (SignedConsensusMessage m : messages) {
            sentAt[(int) m.message().height()] = System.nanoTime();
            a.net().broadcastConsensus(m);
            if (m.message().height() % 10 == 0) { // paced in bursts of 10 so that latency is not just queueing
                long due = t0 + m.message().height() * 1_000_000_000L / Integer.getInteger("timecoin.bench.rate", 5_000);
                while (System.nanoTime() < due) Thread.onSpinWait();
            }
        }
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50)).until(() -> others.stream().allMatch(o -> o.stack().consensus.size() == n));
        long last = others.stream().flatMap(o -> o.stack().consensusArrivedAt.values().stream()).mapToLong(Long::longValue).max().orElseThrow();
        double seconds = (last - t0) / 1e9;
        long[] latency = new long[n * 3];
        int k = 0;
        for (Started o : others) for (int h = 1; h <= n; h++) latency[k++] = o.stack().consensusArrivedAt.get((long) h) - sentAt[h];
        Arrays.sort(latency);
        System.out.printf("BENCH fan-out: %d signed Prepares from 1 node to 3 (full mesh, each verified and relayed once): %.0f msgs/s delivered per node, "
                        + "latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", n, n / seconds, latency[latency.length / 2] / 1e6,
                latency[(int) (latency.length * 0.99)] / 1e6, latency[latency.length - 1] / 1e6);

        int blocks = Integer.getInteger("timecoin.bench.blocks", 1_000);
        TestChain chain = new TestChain(blocks);
        Started server = start(1, List.of(), open);
        server.stack().blocks = chain::body;
        server.net().blockApplied(blocks, TestChain.GENESIS.validatorSet());
        Started syncer = start(2, List.of("127.0.0.1:" + server.net().port()), open);
        long s0 = System.nanoTime();
        // the stack applies what arrives (as consensus + ledger would), which opens the sync window further
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(5)).until(() -> {
            int got = syncer.stack().synced.size();
            if (got > 0) syncer.net().blockApplied(got, TestChain.GENESIS.validatorSet());
            return got == blocks;
        });
        double syncSeconds = (System.nanoTime() - s0) / 1e9;
        System.out.printf("BENCH sync: %d blocks with commit certificates (3 seals each) fetched, verified and handed on in %.2f s: %.0f blocks/s%n",
                blocks, syncSeconds, blocks / syncSeconds);
    }
}
