package org.timecoin.p2p.core;

/**
 * Misbehaviour and its score. A peer whose score reaches the ban threshold (configuration, default 100) is banned for
 * a while; scores decay so that rare honest mistakes (a late message, one slow handshake) never add up to a ban.
 */
public enum Offence {
    MALFORMED(100),
    WRONG_CHAIN(100),
    BAD_AUTH(100),
    PROTOCOL_VIOLATION(100),
    BAD_SIGNATURE(50),
    BAD_BLOCKS(100),
    UNSOLICITED(10),
    NOT_A_MASTERNODE(20),
    RATE_LIMITED(2),
    SLOW(10),
    /**
     * What any offence counts before the peer authenticated: its bytes prove nothing (someone on the path may have
     * altered an honest Hello), so one bad handshake does not ban an address; a stream of them still does.
     */
    BEFORE_AUTHENTICATION(25);

    private final int points;

    Offence(int points) {
        this.points = points;
    }

    public int points() {
        return points;
    }
}
