package org.timecoin.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.ledger.core.ProposalBuilder;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Transaction;

/** A proposal never outgrows its byte budget (it must fit one Kafka record), and keeps the candidates' order. */
class ProposalBudgetTest {
    @Test
    void takesTheLongestPrefixThatFits() {
        List<ProposalBuilder.Candidate> candidates = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Transaction tx = LedgerServiceTest.pay(i, Ed25519Keys.deterministic("budget", "payee", i), Amount.time(1).sat());
            candidates.add(new ProposalBuilder.Candidate(tx, Amount.sat(1_000), LedgerServiceTest.certify(tx)));
        }
        long each = candidates.get(0).tx().encodedSize() + candidates.get(0).certificate().toBytes().length;
        assertThat(ProposalBuilder.withinBudget(candidates, 3 * each + 10)).containsExactlyElementsOf(candidates);
        assertThat(ProposalBuilder.withinBudget(candidates, 2 * each + each / 2)).containsExactlyElementsOf(candidates.subList(0, 2));
        assertThat(ProposalBuilder.withinBudget(candidates, each - 1)).isEmpty();
    }
}
