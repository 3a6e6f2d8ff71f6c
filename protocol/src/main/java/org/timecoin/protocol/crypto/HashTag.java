package org.timecoin.protocol.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Domain-separation tags: each kind of hashed object has its own, so no two kinds can share a hash.
 * The tag is length-prefixed inside the hash input (see {@link Hashes}), which keeps tags prefix-free even
 * where one tag's text starts with another's ("TIMECOIN/vote" and "TIMECOIN/vote-entry").
 */
public enum HashTag {
    TX("TIMECOIN/tx"),
    OUTPUTS("TIMECOIN/outputs"),
    SIGHASH("TIMECOIN/sighash"),
    BLOCK("TIMECOIN/block"),
    MERKLE("TIMECOIN/merkle"),
    VOTE("TIMECOIN/vote"),
    VOTE_ENTRY("TIMECOIN/vote-entry"),
    CONSENSUS("TIMECOIN/consensus"),
    MASTERNODE_REGISTRATION("TIMECOIN/mnreg"),
    MASTERNODE_ACTIVATION("TIMECOIN/mnact"),
    KEY_HASH("TIMECOIN/keyhash"),
    PEER_ADDRESS("TIMECOIN/peeraddr"),
    LEADER("TIMECOIN/leader"),
    UTXO("TIMECOIN/utxo"),
    DEV_KEY("TIMECOIN/devkey"),
    HANDSHAKE("TIMECOIN/handshake"),
    HANDSHAKE_AUTH("TIMECOIN/handshake-auth");

    private final String text;

    HashTag(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    byte[] prefix() {
        byte[] ascii = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[ascii.length + 1];
        out[0] = (byte) ascii.length;
        System.arraycopy(ascii, 0, out, 1, ascii.length);
        return out;
    }
}
