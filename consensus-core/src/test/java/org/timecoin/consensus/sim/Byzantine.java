package org.timecoin.consensus.sim;

/** How a faulty validator misbehaves in the simulator. */
enum Byzantine {
    /** Sends nothing. */
    SILENT,
    /** As leader, sends one proposal to half the validators and a different one to the other half. */
    EQUIVOCATING_LEADER,
    /** Prepares and commits every proposal it sees and approves conflicting transactions alike. */
    DOUBLE_VOTER,
    /** Everything it sends arrives 0.5–2.5 s late. */
    DELAYED,
    /** Its signatures are corrupted (receivers must drop them). */
    INVALID_SIGNATURES,
    /** As leader, proposes blocks that pay the whole reward to itself. */
    INVALID_BLOCKS
}
