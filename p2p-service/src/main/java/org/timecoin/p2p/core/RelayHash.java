package org.timecoin.p2p.core;

import java.security.MessageDigest;

import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.wire.WireMessage;
import org.timecoin.protocol.wire.WireMessage.Kind;

/**
 * What nodes deduplicate relayed messages (transactions, consensus messages, vote batches) by: SHA-256 of the type byte
 * and the body as on the wire. Computed before a body is decoded, so that the copies of a message that every other
 * peer relays too (two of three in a four-node mesh) are dropped without decoding them.
 */
public final class RelayHash {
    private RelayHash() {
    }

    /** Whether frames of this type are relayed (and deduplicated). */
    public static boolean relayed(int type) {
        return type == WireMessage.TX || type == WireMessage.CONSENSUS || type == WireMessage.VOTES;
    }

    /** The rate-limit class of a relayed type, known before decoding (as {@code WireMessage.kind()} gives it after). */
    public static Kind kind(int type) {
        return type == WireMessage.TX ? Kind.TRANSACTION : Kind.VOTE;
    }

    public static Hash of(int type, byte[] body) {
        MessageDigest d = Hashes.sha256Digest();
        d.update((byte) type);
        d.update(body);
        return new Hash(d.digest());
    }
}
