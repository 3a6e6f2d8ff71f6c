package org.timecoin.protocol.rules;

/** Why a transaction is refused. The names are stable codes used on the wire, in verdicts and at the REST edge. */
public enum RejectReason implements ReasonCode {
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
    /** A registration's node key is registered already, or named by another registration (or activation) pending or final. */
    NODE_KEY_IN_USE,
    /** An activation with inputs or outputs. */
    INVALID_ACTIVATION,
    /** An activation of a node key that is not registered (or whose node left). */
    NOT_REGISTERED,
    /** An activation of a node that is active already. */
    ALREADY_ACTIVE,
    /** An activation naming a block this chain does not have, or one too old to prove the node runs now. */
    STALE_ACTIVATION
}
