package org.timecoin.consensus;

import java.util.List;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.timecoin.consensus.core.Evidence;
import org.timecoin.protocol.codec.Hex;

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

    /**
     * The offence with its proof: both signed records (hex, canonical encoding), so anyone can check it with the
     * offender's key alone. CONFLICTING_MESSAGES: two SignedConsensusMessages for one (height, round, type);
     * CONFLICTING_VOTES: two TxVoteBatches with different verdicts on {@code txid}.
     */
    public record EvidenceView(String offender, String kind, String txid, String first, String second) {
        static EvidenceView of(Evidence e) {
            if (e instanceof Evidence.ConflictingVotes v) {
                return new EvidenceView(e.offender().hex(), "CONFLICTING_VOTES", v.txid().hex(), Hex.encode(v.first().toBytes()), Hex.encode(v.second().toBytes()));
            }
            Evidence.ConflictingMessages m = (Evidence.ConflictingMessages) e;
            return new EvidenceView(e.offender().hex(), "CONFLICTING_MESSAGES", null, Hex.encode(m.first().toBytes()), Hex.encode(m.second().toBytes()));
        }
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
        return runner.query(core -> core.evidence().stream().map(EvidenceView::of).toList());
    }
}
