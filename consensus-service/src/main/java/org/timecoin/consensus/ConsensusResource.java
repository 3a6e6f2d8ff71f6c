package org.timecoin.consensus;

import java.util.List;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.timecoin.protocol.codec.Hex;

import io.smallrye.common.annotation.Blocking;

/** Internal REST: where consensus stands, the validator set, and equivocation evidence. */
@Path("/v1/consensus")
@Produces(MediaType.APPLICATION_JSON)
public class ConsensusResource {
    private final CoreRunner runner;
    private final ConsensusStore store;
    private final int maxEvidence;

    public ConsensusResource(CoreRunner runner, ConsensusStore store, ConsensusSettings settings) {
        this.runner = runner;
        this.store = store;
        this.maxEvidence = settings.maxEvidence();
    }

    public record Validator(String key, String tier, long votingWeight) {
    }

    public record VoteStatistics(int openTallies, double transactionsFinalized, double transactionsReleased, double blocksFinalized,
                                 double roundChanges) {
    }

    public record Status(long height, int round, String phase, long totalVotingWeight, List<Validator> validators, VoteStatistics votes,
                         long evidence) {
    }

    /**
     * The offence with its proof: both signed records (hex, canonical encoding), so anyone can check it with the
     * offender's key alone. CONFLICTING_MESSAGES: two SignedConsensusMessages for one (height, round, type);
     * CONFLICTING_VOTES: two TxVoteBatches with different verdicts on {@code txid}.
     */
    public record EvidenceView(String offender, String kind, String txid, String first, String second) {
        static EvidenceView of(ConsensusStore.StoredEvidence e) {
            return new EvidenceView(e.offender().hex(), e.kind(), e.txid() == null ? null : e.txid().hex(), Hex.encode(e.first()), Hex.encode(e.second()));
        }
    }

    /** Worker thread: the evidence count is read from PostgreSQL before the core is asked. */
    @GET
    @Path("/status")
    @Blocking
    public CompletionStage<Status> status() {
        long evidence = store.evidenceCount();
        return runner.query(core -> {
            var set = core.validatorSet();
            List<Validator> validators = set == null ? List.of()
                    : set.members().stream().map(m -> new Validator(m.nodeKey().hex(), m.tier().name(), m.tier().votingWeight())).toList();
            VoteStatistics votes = new VoteStatistics(core.openTransactionTallies(), runner.counted("timecoin_consensus_transactions_finalized"),
                    runner.counted("timecoin_consensus_transactions_released"), runner.counted("timecoin_consensus_blocks_finalized"),
                    runner.counted("timecoin_consensus_round_changes"));
            return new Status(core.height(), core.round(), core.phase().name(), set == null ? 0 : set.totalVotingWeight(), validators, votes,
                    evidence);
        });
    }

    /** The latest offences kept ({@code timecoin.consensus.max-evidence}), newest first; they outlive a restart. */
    @GET
    @Path("/evidence")
    public List<EvidenceView> evidence() {
        return store.evidence(maxEvidence).stream().map(EvidenceView::of).toList();
    }
}
