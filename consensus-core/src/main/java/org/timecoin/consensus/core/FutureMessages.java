package org.timecoin.consensus.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.SignedConsensusMessage;

/**
 * Messages for heights this validator has not reached, held until it gets there. Bounded per sender in count and in
 * encoded bytes (a PrePrepare carries a whole block), so one validator's flood of later-height messages costs at most
 * its own bound and never crowds out the others'.
 */
final class FutureMessages {
    /** A held message with its encoded size (measured once). */
    private record Held(SignedConsensusMessage message, long size) {
    }

    private final int maxPerSender;
    private final long maxBytesPerSender;
    private final List<Held> held = new ArrayList<>();
    private final Map<PublicKey, Integer> count = new HashMap<>();
    private final Map<PublicKey, Long> bytes = new HashMap<>();

    FutureMessages(int maxPerSender, long maxBytesPerSender) {
        this.maxPerSender = maxPerSender;
        this.maxBytesPerSender = maxBytesPerSender;
    }

    /** Holds the message unless its sender's bound is reached. */
    void offer(SignedConsensusMessage m) {
        PublicKey signer = m.message().signer();
        if (count.getOrDefault(signer, 0) >= maxPerSender) return;
        long size = m.toBytes().length;
        if (bytes.getOrDefault(signer, 0L) + size > maxBytesPerSender) return;
        hold(new Held(m, size));
    }

    /** Removes and returns the messages for {@code height}; drops the ones below it and keeps the later ones. */
    List<SignedConsensusMessage> takeFor(long height) {
        List<SignedConsensusMessage> due = new ArrayList<>();
        List<Held> keep = new ArrayList<>();
        for (Held h : held) {
            long at = h.message().message().height();
            if (at == height) due.add(h.message());
            else if (at > height) keep.add(h);
        }
        held.clear();
        count.clear();
        bytes.clear();
        for (Held h : keep) hold(h);
        return due;
    }

    private void hold(Held h) {
        held.add(h);
        PublicKey signer = h.message().message().signer();
        count.merge(signer, 1, Integer::sum);
        bytes.merge(signer, h.size(), Long::sum);
    }

    int size() {
        return held.size();
    }

    long bytes() {
        return bytes.values().stream().mapToLong(Long::longValue).sum();
    }
}
