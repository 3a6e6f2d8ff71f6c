package org.timecoin.protocol.rules;

/** Why a transaction is refused. The names are stable codes used on the wire, in verdicts and at the REST edge. */
public enum RejectReason {
    MALFORMED,
    TOO_LARGE,
    NO_INPUTS,
    NO_OUTPUTS,
    DUPLICATE_INPUT,
    DUST_OUTPUT,
    AMOUNT_OVERFLOW,
    REWARD_NOT_ALLOWED,
    INVALID_REGISTRATION,
    BAD_SIGNATURE,
    // stateful (ledger) reasons
    UNKNOWN_INPUT,
    INPUT_SPENT,
    INPUT_LOCKED,
    KEY_MISMATCH,
    INPUTS_BELOW_OUTPUTS,
    FEE_TOO_LOW,
    MEMPOOL_FULL,
    /** A registration's collateral backs a masternode, is named by another registration pending or final, or is spent. */
    COLLATERAL_IN_USE,
    /** A registration's node key is registered already, or named by another registration pending or final. */
    NODE_KEY_IN_USE
}
