package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.genesis.DevnetGenesis;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.rules.TransactionRules;

class GenesisTest {
    @Test
    void sameSeedAndSizeGiveTheSameChain() {
        DevnetGenesis a = DevnetGenesis.create("devnet", 4);
        DevnetGenesis b = DevnetGenesis.create("devnet", 4);
        assertThat(a.hash()).isEqualTo(b.hash());
        assertThat(a.fundedKeys().get(3).publicKey()).isEqualTo(b.fundedKeys().get(3).publicKey());
        assertThat(DevnetGenesis.create("devnet", 5).hash()).isNotEqualTo(a.hash());
        assertThat(DevnetGenesis.create("other", 4).hash()).isNotEqualTo(a.hash());
    }

    @Test
    void genesisRegistersEveryMasternodeWithCollateral() {
        DevnetGenesis g = DevnetGenesis.create("devnet", 4);
        assertThat(g.block().merkleRootMatches()).isTrue();
        assertThat(g.block().transactions()).hasSize(5);
        assertThat(g.validatorSet().voters()).hasSize(4);
        assertThat(g.validatorSet().totalVotingWeight()).isEqualTo(4 * Tier.BRONZE.votingWeight());
        var reward = g.block().transactions().get(0);
        for (DevnetGenesis.Masternode m : g.masternodes()) {
            var collateral = reward.outputs().get(m.collateral().index());
            assertThat(collateral.amount()).isEqualTo(Tier.BRONZE.collateral());
            assertThat(collateral.keyHash()).isEqualTo(m.ownerKey().keyHash());
            assertThat(m.port()).isEqualTo(24200 + m.index());
        }
        for (var tx : g.block().transactions().subList(1, 5)) {
            assertThat(TransactionRules.checkStateless(tx)).isEmpty();
            assertThat(TransactionRules.checkSignatures(tx, g.chainId())).isEmpty();
        }
        long expected = 10 * DevnetGenesis.FUNDED_AMOUNT.sat() + 4 * Tier.BRONZE.collateral().sat();
        assertThat(g.initialSupply().sat()).isEqualTo(expected);
    }
}
