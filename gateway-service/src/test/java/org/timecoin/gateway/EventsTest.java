package org.timecoin.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Finality waits against the outcomes read from the topics, whichever comes first. */
class EventsTest {
    static final GatewaySettings SETTINGS = new GatewaySettings() {
        public String ledgerUrl() { return "http://127.0.0.1:1"; }
        public String consensusUrl() { return "http://127.0.0.1:1"; }
        public String p2pUrl() { return "http://127.0.0.1:1"; }
        public double requestsPerSecond() { return 0; }
        public long maxWaitMillis() { return 30_000; }
        public int recentSubmissions() { return 100; }
        public int recentOutcomes() { return 2; }
        public long mempoolRefreshMillis() { return 500; }
        public double mempoolAdmissionShare() { return 0.5; }
        public int maxWaits() { return 10_000; }
        public int maxWaitsPerClient() { return 100; }
        public int trackedClients() { return 100; }
    };

    final Events events = new Events(new SimpleMeterRegistry(), SETTINGS);

    static Hash txid(String name) {
        return Hashes.tagged(HashTag.TX, name.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aWaitThatBeginsAfterItsOutcomeIsAnsweredAtOnce() throws Exception {
        Hash released = txid("released");
        Hash rejected = txid("rejected");
        events.onOutcomes(List.of(StackRecords.encode(new StackRecords.Released(released, "TIMEOUT"))));
        events.onVerdicts(List.of(StackRecords.encodeVerdicts(List.of(new StackRecords.Verdict(rejected, TxVerdict.REJECT, "INPUT_SPENT"))).get(0)));

        assertThat(events.recentlySubmitted(released)).as("known here while this node's ledger may not have it yet").isTrue();
        assertThat(events.recentlySubmitted(txid("never"))).isFalse();
        assertThat(events.await(released, 20_000).get(5, TimeUnit.SECONDS).status()).isEqualTo("RELEASED");
        Events.Event e = events.await(rejected, 20_000).get(5, TimeUnit.SECONDS);
        assertThat(e.status()).isEqualTo("REJECTED");
        assertThat(e.reason()).isEqualTo("INPUT_SPENT");
    }

    /** A record of tx.finalized holds the outcomes of one consensus event: each of them answers its own wait. */
    @Test
    void everyOutcomeOfOneRecordAnswersItsWait() throws Exception {
        Hash first = txid("first of three");
        Hash second = txid("second of three");
        Hash third = txid("third of three");
        var waits = List.of(events.await(first, 20_000), events.await(second, 20_000), events.await(third, 20_000));
        events.onOutcomes(StackRecords.encodeOutcomes(List.of(new StackRecords.Released(first, "TIMEOUT"),
                new StackRecords.Released(second, "REJECTED_BY_VOTES"), new StackRecords.Released(third, "TIMEOUT"))));
        assertThat(waits.get(0).get(5, TimeUnit.SECONDS).txid()).isEqualTo(first.hex());
        assertThat(waits.get(1).get(5, TimeUnit.SECONDS).reason()).isEqualTo("REJECTED_BY_VOTES");
        assertThat(waits.get(2).get(5, TimeUnit.SECONDS).txid()).isEqualTo(third.hex());
    }

    /** Refusals that say only where this node stands (the network may still make it final) do not end a wait. */
    @Test
    void aRefusalForThisNodesOwnStateIsNotAnOutcome() throws Exception {
        for (String reason : List.of("INPUT_LOCKED", "MEMPOOL_FULL")) {
            Hash txid = txid("refused here: " + reason);
            var waiting = events.await(txid, 20_000);
            events.onVerdicts(List.of(StackRecords.encodeVerdicts(List.of(new StackRecords.Verdict(txid, TxVerdict.REJECT, reason))).get(0)));
            assertThat(events.await(txid, 50).get(5, TimeUnit.SECONDS)).as(reason).isNull();
            assertThat(waiting).as(reason).isNotDone();
            events.onOutcomes(List.of(StackRecords.encode(new StackRecords.Released(txid, "TIMEOUT"))));
            assertThat(waiting.get(5, TimeUnit.SECONDS).status()).isEqualTo("RELEASED");
        }
    }

    @Test
    void aWaitThatBeginsFirstIsWokenByTheOutcomeAndAnUnknownOneEndsEmpty() throws Exception {
        Hash txid = txid("later");
        var waiting = events.await(txid, 20_000);
        assertThat(waiting).isNotDone();
        events.onOutcomes(List.of(StackRecords.encode(new StackRecords.Released(txid, "TIMEOUT"))));
        assertThat(waiting.get(5, TimeUnit.SECONDS).status()).isEqualTo("RELEASED");
        assertThat(events.await(txid("nothing"), 50).get(5, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void onlyTheMostRecentOutcomesAreRemembered() throws Exception {
        for (String name : List.of("a", "b", "c")) {
            events.onOutcomes(List.of(StackRecords.encode(new StackRecords.Released(txid(name), "TIMEOUT"))));
        }
        assertThat(events.await(txid("a"), 50).get(5, TimeUnit.SECONDS)).isNull(); // forgotten: capacity 2
        assertThat(events.await(txid("c"), 50).get(5, TimeUnit.SECONDS).status()).isEqualTo("RELEASED");
    }

    @Test
    void theLedgersAnnouncementEndsAnAppliedWaitWhetherItCameBeforeOrAfter() throws Exception {
        Hash early = txid("applied-early");
        Hash late = txid("applied-late");
        events.onApplied(List.of(StackRecords.encode(new StackRecords.TxApplied(List.of(early), List.of()))));
        assertThat(events.awaitApplied(early, 20_000).get(5, TimeUnit.SECONDS)).isTrue();

        var waiting = events.awaitApplied(late, 20_000);
        assertThat(waiting).isNotDone();
        events.onApplied(List.of(new byte[] {1, 2}, StackRecords.encode(new StackRecords.TxApplied(List.of(txid("other"), late), List.of()))));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue(); // a malformed record before it changes nothing
        assertThat(events.awaitApplied(txid("never-applied"), 50).get(5, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void aWaitThatEndsLeavesNothingBehindSoTheBoundOnWaitsIsNeverReachedByTimeouts() throws Exception {
        var a = events.await(txid("x"), 30);
        var b = events.await(txid("x"), 20_000); // two waits for one transaction share it
        var c = events.awaitApplied(txid("y"), 30);
        a.get(5, TimeUnit.SECONDS);
        c.get(5, TimeUnit.SECONDS);
        // each ended wait leaves right after its future completes (on the timer's thread, so maybe just after get()
        // returns here); b still waits
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> events.waiting() == 1);
        events.onOutcomes(List.of(StackRecords.encode(new StackRecords.Released(txid("x"), "TIMEOUT"))));
        assertThat(b.get(5, TimeUnit.SECONDS).status()).isEqualTo("RELEASED");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> events.waiting() == 0);
    }
}
