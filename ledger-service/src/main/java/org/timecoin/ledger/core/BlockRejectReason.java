package org.timecoin.ledger.core;

import org.timecoin.protocol.rules.ReasonCode;

/**
 * Why a block as a whole may not follow the tip. A transaction of the block that breaks a rule of its own is named with
 * its transaction-level {@link org.timecoin.protocol.rules.RejectReason} instead ({@link Refusal}).
 */
public enum BlockRejectReason implements ReasonCode {
    WRONG_CHAIN,
    WRONG_HEIGHT,
    WRONG_PARENT,
    TIMESTAMP_NOT_AFTER_PARENT,
    BAD_MERKLE_ROOT,
    MISSING_REWARD,
    UNKNOWN_PROPOSER,
    WRONG_REWARD,
    EXTRA_REWARD,
    DUPLICATE_TRANSACTION,
    INVALID_TRANSACTION,
    DOUBLE_SPEND_IN_BLOCK,
    /** An input that only finality made here (not an earlier block nor this one): another node may not have it yet. */
    UNCONFIRMED_INPUT,
    MISSING_CERTIFICATE,
    BAD_FINALITY_CERTIFICATE,
    BAD_COMMIT_CERTIFICATE,
    NO_GENESIS;

    /**
     * Why a block may not be applied, and the transaction that breaks the rule (null when the block as a whole does): a
     * leader leaves that transaction out rather than propose a block no one takes.
     */
    public record Refusal(ReasonCode reason, org.timecoin.protocol.crypto.Hash txid) {
        public static Refusal of(ReasonCode reason) {
            return new Refusal(reason, null);
        }
    }
}
