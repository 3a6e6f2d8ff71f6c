package org.timecoin.ledger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;
import org.timecoin.ledger.core.BlockRejectReason.Refusal;
import org.timecoin.ledger.core.ProposalBuilder;
import org.timecoin.ledger.core.ProposalBuilder.Candidate;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * The ledger's answers to its node's consensus (proposals.requests): a leader's block built from the final
 * transactions not yet in a block ({@link ProposalBuilder}, pure), leaving out one the chain would refuse, and the
 * blocks other leaders propose checked against the chain ({@link ProposalStore}).
 */
@Startup // created at start, as before: a bad block-size setting stops the service then, not at the first request
@ApplicationScoped
public class ProposalService {
    private static final Logger LOG = Logger.getLogger(ProposalService.class);

    private final ProposalStore proposals;
    private final ValidatorSetStore sets;
    private final LedgerKafka kafka;
    private final MeterRegistry registry;
    private final int chainId;
    private final int maxBlockTransactions;
    private final int maxBlockBytes;

    public ProposalService(ProposalStore proposals, ValidatorSetStore sets, LedgerKafka kafka, MeterRegistry registry,
                           @ConfigProperty(name = "timecoin.network") String network,
                           LedgerSettings settings) {
        int maxBlockBytes = settings.maxBlockBytes();
        this.proposals = proposals;
        this.sets = sets;
        this.kafka = kafka;
        this.registry = registry;
        this.chainId = Network.byName(network).chainId();
        this.maxBlockTransactions = settings.maxBlockTransactions();
        if (maxBlockBytes <= ProposalBuilder.BLOCK_OVERHEAD_BYTES) {
            throw new IllegalArgumentException("timecoin.ledger.max-block-bytes must exceed " + ProposalBuilder.BLOCK_OVERHEAD_BYTES);
        }
        this.maxBlockBytes = maxBlockBytes;
    }

    /**
     * One poll of requests from this node's consensus. Only those of the latest (height, round) in the poll are
     * answered: the consensus asks in (height, round) order and ignores answers for a round it has left, so under load,
     * when requests queue up behind a slow build or check, working the older ones only delayed the one that counts.
     */
    @Incoming("proposals-requests")
    @Blocking
    public void onProposalRequests(List<byte[]> values) {
        List<StackRecords.ProposalRequest> requests = new ArrayList<>(values.size());
        for (byte[] value : values) {
            try {
                requests.add(StackRecords.decodeProposalRequest(value));
            } catch (ProtocolException e) {
                kafka.rejected("proposals.requests", e.reason().name(), value);
            }
        }
        List<StackRecords.ProposalRequest> current = latestRound(requests);
        if (current.size() < requests.size()) registry.counter("timecoin_ledger_proposal_requests_skipped").increment(requests.size() - current.size());
        for (StackRecords.ProposalRequest request : current) answer(request);
    }

    /** The requests of the latest (height, round) among {@code requests}, in their order. */
    static List<StackRecords.ProposalRequest> latestRound(List<StackRecords.ProposalRequest> requests) {
        Comparator<StackRecords.ProposalRequest> byRound = Comparator.comparingLong(StackRecords.ProposalRequest::height)
                .thenComparingInt(StackRecords.ProposalRequest::round);
        StackRecords.ProposalRequest latest = requests.stream().max(byRound).orElse(null);
        return requests.stream().filter(r -> byRound.compare(r, latest) == 0).toList();
    }

    private void answer(StackRecords.ProposalRequest request) {
        StackRecords.ProposalResponse response;
        long t0 = System.nanoTime();
        if (request instanceof StackRecords.BuildRequest b) {
            response = buildProposal(b);
        } else {
            StackRecords.CheckRequest c = (StackRecords.CheckRequest) request;
            Optional<Refusal> refusal = kafka.durably(() -> proposals.refusal(chainId, c.block(), c.certificates()));
            refusal.ifPresent(r -> LOG.infof("proposal %s for height %d round %d refused: %s", c.block().hash(), c.height(), c.round(), r.reason().name()));
            response = new StackRecords.Checked(c.height(), c.round(), c.block().hash(), refusal.isEmpty());
        }
        // a build or check that outlasts the round timeout (3 s at round 0) costs the height a round
        Timer.builder("timecoin_ledger_proposal").description("building or checking a proposed block").tag("work", request instanceof StackRecords.BuildRequest ? "build" : "check")
                .publishPercentileHistogram().register(registry).record(Duration.ofNanos(System.nanoTime() - t0));
        kafka.answer(request, response);
    }

    /** A block of final transactions not yet in a block, paying subsidy + their fees by reward weight, with their certificates. */
    StackRecords.Built buildProposal(StackRecords.BuildRequest b) {
        List<Candidate> candidates = ProposalBuilder.withinBudget(kafka.durably(() -> proposals.proposalCandidates(maxBlockTransactions)),
                maxBlockBytes - ProposalBuilder.BLOCK_OVERHEAD_BYTES);
        ValidatorSet set = kafka.durably(sets::validatorSet);
        // a final transaction that breaks a block rule (its certificate names a set no longer checkable, its registration
        // lost to another) is left out with what descends from it: one such must not make every leader's block refused
        for (int attempt = 0; ; attempt++) {
            StackRecords.Built built = ProposalBuilder.assemble(chainId, b, candidates, set, System.currentTimeMillis());
            Optional<Refusal> refusal = kafka.durably(() -> proposals.refusal(chainId, built.block(), built.certificates()));
            if (refusal.isEmpty() || refusal.get().txid() == null || attempt >= MAX_LEFT_OUT) {
                refusal.ifPresent(r -> LOG.warnf("proposal for height %d round %d breaks a block rule: %s", b.height(), b.round(), r.reason().name()));
                return built;
            }
            Hash out = refusal.get().txid();
            LOG.warnf("final transaction %s left out of the proposal for height %d: %s", out, b.height(), refusal.get().reason().name());
            candidates = ProposalBuilder.without(candidates, out);
        }
    }

    /** Transactions a build leaves out at most, one check each, before it proposes what it has. */
    static final int MAX_LEFT_OUT = 16;
}
