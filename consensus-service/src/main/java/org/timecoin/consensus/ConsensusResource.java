package org.timecoin.consensus;

import java.util.List;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.timecoin.consensus.core.Evidence;

/** Internal REST: where consensus stands, the validator set, and equivocation evidence. */
@Path("/v1/consensus")
@Produces(MediaType.APPLICATION_JSON)
public class ConsensusResource {
    private final CoreRunner runner;

    public ConsensusResource(CoreRunner runner) {
        this.runner = runner;
    }

    public record Validator(String key, String tier, long votingWeight) {
    }

    public record VoteStatistics(int openTallies, double transactionsFinalized, double transactionsReleased, double blocksFinalized,
                                 double roundChanges) {
    }

    public record Status(long height, int round, String phase, long totalVotingWeight, List<Validator> validators, VoteStatistics votes,
                         int evidence) {
    }

    public record EvidenceView(String offender, String kind) {
    }

    @GET
    @Path("/status")
    public CompletionStage<Status> status() {
        return runner.query(core -> {
            var set = core.validatorSet();
            List<Validator> validators = set == null ? List.of()
                    : set.members().stream().map(m -> new Validator(m.nodeKey().hex(), m.tier().name(), m.tier().votingWeight())).toList();
            VoteStatistics votes = new VoteStatistics(core.openTransactionTallies(), runner.counted("timecoin_consensus_transactions_finalized"),
                    runner.counted("timecoin_consensus_transactions_released"), runner.counted("timecoin_consensus_blocks_finalized"),
                    runner.counted("timecoin_consensus_round_changes"));
            return new Status(core.height(), core.round(), core.phase().name(), set == null ? 0 : set.totalVotingWeight(), validators, votes,
                    core.evidence().size());
        });
    }

    @GET
    @Path("/evidence")
    public CompletionStage<List<EvidenceView>> evidence() {
        return runner.query(core -> core.evidence().stream()
                .map(e -> new EvidenceView(e.offender().hex(), e instanceof Evidence.ConflictingVotes ? "CONFLICTING_VOTES" : "CONFLICTING_MESSAGES"))
                .toList());
    }
}
