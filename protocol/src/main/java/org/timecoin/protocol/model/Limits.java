package org.timecoin.protocol.model;

/**
 * Hard bounds of the encoding. Decoders check them before allocating; they are protocol constants (every node
 * must agree), unlike operational limits such as mempool size or frame sizes, which are configuration.
 */
public final class Limits {
    public static final int MAX_TX_BYTES = 100_000;
    public static final int MAX_INPUTS = 1_000;
    public static final int MAX_OUTPUTS = 2_000;
    public static final int MAX_HOST_BYTES = 255;
    public static final int MAX_BLOCK_TRANSACTIONS = 100_000;
    public static final int MAX_BLOCK_BYTES = 32 * 1024 * 1024;
    public static final int MAX_VALIDATORS = 10_000;
    public static final int MAX_VOTE_BATCH = 10_000;
    public static final int MAX_MERKLE_DEPTH = 32;
    /** A PrePrepare carries a block plus a finality certificate per transaction. */
    public static final int MAX_CONSENSUS_MESSAGE_BYTES = 256 * 1024 * 1024;
    public static final int MAX_SMALL_MESSAGE_BYTES = 1024 * 1024;

    private Limits() {
    }
}
