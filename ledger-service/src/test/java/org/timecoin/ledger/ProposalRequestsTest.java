package org.timecoin.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.stack.StackRecords;

/** Of a poll of proposal requests, only the latest (height, round) is worked: the consensus has left the others. */
class ProposalRequestsTest {
    static final PublicKey PROPOSER = Ed25519Keys.deterministic("requests", "proposer", 0).publicKey();

    static StackRecords.BuildRequest build(long height, int round) {
        return new StackRecords.BuildRequest(height, round, Hash.ZERO, 1_000, PROPOSER);
    }

    static StackRecords.CheckRequest check(long height, int round) {
        return new StackRecords.CheckRequest(height, round, null, List.of()); // the block is not looked at here
    }

    @Test
    void onlyTheRequestsOfTheLatestHeightAndRoundAreKeptInTheirOrder() {
        StackRecords.CheckRequest checkOfRound1 = check(5, 1);
        StackRecords.BuildRequest buildOfRound1 = build(5, 1);
        List<StackRecords.ProposalRequest> poll = List.of(build(5, 0), checkOfRound1, build(4, 3), check(5, 0), buildOfRound1);
        assertThat(ProposalService.latestRound(poll)).containsExactly(checkOfRound1, buildOfRound1);
    }

    @Test
    void aLaterHeightWinsOverAHigherRoundOfAnEarlierOne() {
        StackRecords.CheckRequest next = check(6, 0);
        assertThat(ProposalService.latestRound(List.of(check(5, 4), next, build(5, 6)))).containsExactly(next);
    }

    @Test
    void aSingleRequestOrNoneIsKeptAsItIs() {
        StackRecords.BuildRequest only = build(1, 0);
        assertThat(ProposalService.latestRound(List.of(only))).containsExactly(only);
        assertThat(ProposalService.latestRound(List.of())).isEmpty();
    }
}
