package org.timecoin.infra;

import java.util.List;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which topics of one masternode's stack each service reads and writes (topic names without the stack's prefix): the
 * one table the local broker's Kafka users get their ACLs from, so each service may write only what it produces and
 * read only what it consumes (the gateway cannot write {@code blocks.applied}). {@code StackTopicsTest} checks it
 * against the services' channels, and the k8s module's tests check the Strimzi KafkaUsers against the same channels.
 * A service's consumer groups all begin with the prefix and the service's name.
 */
public enum StackTopics {
    LEDGER(List.of("tx.submitted", "tx.finalized", "blocks.finalized", "blocks.applied", "tx.applied", "proposals.requests"),
            List.of("tx.verdicts", "blocks.applied", "tx.applied", "proposals.responses", "dead-letters")),
    CONSENSUS(List.of("consensus.in", "tx.verdicts", "blocks.applied", "proposals.responses"),
            List.of("consensus.out", "tx.finalized", "blocks.finalized", "proposals.requests", "tx.submitted", "dead-letters")),
    P2P(List.of("consensus.out", "tx.submitted", "blocks.applied"), List.of("consensus.in", "tx.submitted", "dead-letters")),
    GATEWAY(List.of("tx.finalized", "tx.applied", "tx.verdicts", "blocks.applied"), List.of("tx.submitted"));

    public final List<String> reads;
    public final List<String> writes;

    StackTopics(List<String> reads, List<String> writes) {
        this.reads = reads;
        this.writes = writes;
    }

    /** The service's name as the devnet and the stack's groups spell it ({@code ledger}, ...). */
    public String service() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static StackTopics of(String service) {
        return valueOf(service.toUpperCase(Locale.ROOT));
    }

    /** Every topic of a stack: each is written by some service. */
    public static SortedSet<String> all() {
        SortedSet<String> all = new TreeSet<>();
        for (StackTopics s : values()) all.addAll(s.writes);
        return all;
    }
}
