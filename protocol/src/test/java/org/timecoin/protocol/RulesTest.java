package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.BlockHeader;
import org.timecoin.protocol.model.MasternodeActivation;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.Witness;
import org.timecoin.protocol.rules.Quorum;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.protocol.rules.RewardSplit;
import org.timecoin.protocol.rules.ServiceProof;
import org.timecoin.protocol.rules.TransactionRules;
import org.timecoin.protocol.rules.ValidatorSet;

class RulesTest {
    private static final Hash PREV = Hashes.tagged(HashTag.TX, new byte[] {1});
    private final KeyPair owner = Fixtures.key("rules", 0);

    private Transaction tx(List<OutPoint> ins, List<TxOutput> outs) {
        return Transaction.transfer(ins, outs).signed(Fixtures.CHAIN, ins.stream().map(i -> owner).toList());
    }

    private TxOutput out(long sat) {
        return new TxOutput(Amount.sat(sat), owner.keyHash());
    }

    @Test
    void validTransferPassesStatelessAndSignatureRules() {
        Transaction t = Fixtures.transfer();
        assertThat(TransactionRules.checkStateless(t)).isEmpty();
        assertThat(TransactionRules.checkSignatures(t, Fixtures.CHAIN)).isEmpty();
    }

    @Test
    void eachStatelessRuleHasItsReason() {
        OutPoint a = new OutPoint(PREV, 0);
        assertThat(TransactionRules.checkStateless(tx(List.of(), List.of(out(1000))))).contains(RejectReason.NO_INPUTS);
        assertThat(TransactionRules.checkStateless(tx(List.of(a), List.of()))).contains(RejectReason.NO_OUTPUTS);
        assertThat(TransactionRules.checkStateless(tx(List.of(a, a), List.of(out(1000))))).contains(RejectReason.DUPLICATE_INPUT);
        assertThat(TransactionRules.checkStateless(tx(List.of(a), List.of(out(545))))).contains(RejectReason.DUST_OUTPUT);
        assertThat(TransactionRules.checkStateless(tx(List.of(a), List.of(out(546))))).isEmpty();
        assertThat(TransactionRules.checkStateless(tx(List.of(a), List.of(out(Long.MAX_VALUE), out(1000))))).contains(RejectReason.AMOUNT_OVERFLOW);
        assertThat(TransactionRules.checkStateless(Transaction.reward(5, List.of(out(1000))))).contains(RejectReason.REWARD_NOT_ALLOWED);
        List<TxOutput> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) many.add(out(1000));
        List<OutPoint> ins = new ArrayList<>();
        for (int i = 0; i < 700; i++) ins.add(new OutPoint(PREV, i));
        assertThat(TransactionRules.checkStateless(Transaction.transfer(ins, many))).contains(RejectReason.TOO_LARGE);
    }

    @Test
    void signaturesAreBoundToChainInputAndOutputs() {
        Transaction t = Fixtures.transfer();
        assertThat(TransactionRules.checkSignatures(t, Fixtures.CHAIN + 1)).contains(RejectReason.BAD_SIGNATURE);
        // swap the two witnesses: each signature covers its own input index
        List<TxInput> swapped = List.of(new TxInput(t.inputs().get(0).previous(), t.inputs().get(1).witness()),
                new TxInput(t.inputs().get(1).previous(), t.inputs().get(0).witness()));
        assertThat(TransactionRules.checkSignatures(new Transaction(swapped, t.outputs(), t.payload()), Fixtures.CHAIN))
                .contains(RejectReason.BAD_SIGNATURE);
        // an unsigned input
        List<TxInput> unsigned = List.of(t.inputs().get(0), new TxInput(t.inputs().get(1).previous(), Witness.EMPTY));
        assertThat(TransactionRules.checkSignatures(new Transaction(unsigned, t.outputs(), t.payload()), Fixtures.CHAIN))
                .contains(RejectReason.BAD_SIGNATURE);
        // the witnesses are outside the txid
        assertThat(new Transaction(unsigned, t.outputs(), t.payload()).txid()).isEqualTo(t.txid());
    }

    @Test
    void feeIsByEncodedSizeWithA1000SatFloor() {
        assertThat(TransactionRules.minimumFee(0)).isEqualTo(Amount.sat(1000));
        assertThat(TransactionRules.minimumFee(250)).isEqualTo(Amount.sat(1000));
        assertThat(TransactionRules.minimumFee(251)).isEqualTo(Amount.sat(1004));
        assertThat(TransactionRules.minimumFee(100_000)).isEqualTo(Amount.sat(400_000));
        assertThat(TransactionRules.checkFee(Amount.sat(10_000), Amount.sat(9_000), 200)).isEmpty();
        assertThat(TransactionRules.checkFee(Amount.sat(10_000), Amount.sat(9_001), 200)).contains(RejectReason.FEE_TOO_LOW);
        assertThat(TransactionRules.checkFee(Amount.sat(10_000), Amount.sat(8_900), 300)).contains(RejectReason.FEE_TOO_LOW);
        assertThat(TransactionRules.checkFee(Amount.sat(10_000), Amount.sat(10_001), 200)).contains(RejectReason.INPUTS_BELOW_OUTPUTS);
    }

    @Test
    void aPaymentFromALargeCoinPaysForItsSizeNotForItsChange() {
        // 12.5 TIME from a 1,000,000 TIME coin: one input, the payment and the change (the old 0.1% rule asked ~1,000 TIME)
        KeyPair payer = Ed25519Keys.deterministic("fee", "payer", 0);
        Transaction draft = Transaction.transfer(List.of(new OutPoint(Hash.ZERO, 0)), List.of(
                new TxOutput(Amount.sat(1_250_000_000L), payer.keyHash()), new TxOutput(Amount.time(999_987), payer.keyHash())))
                .signed(3, List.of(payer));
        assertThat(draft.encodedSize()).isEqualTo(TransactionRules.transferSize(1, 2));
        assertThat(TransactionRules.minimumFee(draft)).isEqualTo(Amount.sat(1_000));
        Transaction small = Transaction.transfer(List.of(new OutPoint(Hash.ZERO, 0)), List.of(new TxOutput(Amount.sat(1_000), payer.keyHash())));
        assertThat(TransactionRules.minimumFee(small)).isEqualTo(TransactionRules.minimumFee(draft));
    }

    @Test
    void quorumIsStrictlyMoreThanTwoThirds() {
        assertThat(Quorum.reached(2, 3)).isFalse();
        assertThat(Quorum.reached(3, 3)).isTrue();
        assertThat(Quorum.reached(3, 4)).isTrue();
        assertThat(Quorum.reached(2, 4)).isFalse();
        assertThat(Quorum.reached(66, 100)).isFalse();
        assertThat(Quorum.reached(67, 100)).isTrue();
        assertThat(Quorum.reached(0, 0)).isFalse();
        for (long total = 1; total < 500; total++) {
            long t = Quorum.threshold(total);
            assertThat(Quorum.reached(t, total)).isTrue();
            assertThat(Quorum.reached(t - 1, total)).isFalse();
            // two quorums always overlap in more than the faulty weight: safety of the whole design
            assertThat(2 * t - total).isGreaterThan(Quorum.maxFaultyWeight(total));
        }
        assertThat(Quorum.impossible(1, 4)).isFalse();
        assertThat(Quorum.impossible(2, 4)).isTrue();
    }

    private ValidatorSet set(Tier... tiers) {
        List<ValidatorSet.Member> ms = new ArrayList<>();
        for (int i = 0; i < tiers.length; i++) {
            KeyPair k = Fixtures.key("validator", i);
            ms.add(new ValidatorSet.Member(k.publicKey(), tiers[i], k.keyHash(), OutPoint.NULL));
        }
        return new ValidatorSet(7, ms);
    }

    @Test
    void anActivationMovesNothingAndIsSignedByItsNodeKey() {
        var act = org.timecoin.protocol.model.MasternodeActivation.sign(Fixtures.CHAIN, Fixtures.nodeKey(1), 1, Fixtures.block1().hash());
        Transaction tx = act.transaction();
        assertThat(TransactionRules.checkStateless(tx)).isEmpty();
        assertThat(TransactionRules.checkSignatures(tx, Fixtures.CHAIN)).isEmpty();
        assertThat(Transaction.decode(tx.toBytes())).isEqualTo(tx);
        assertThat(TransactionRules.checkSignatures(tx, Fixtures.CHAIN + 1)).as("another chain").contains(RejectReason.BAD_SIGNATURE);
        var forged = new org.timecoin.protocol.model.MasternodeActivation(Fixtures.nodeKey(2).publicKey(), 1, Fixtures.block1().hash(), act.signature());
        assertThat(TransactionRules.checkSignatures(forged.transaction(), Fixtures.CHAIN)).as("another node's key").contains(RejectReason.BAD_SIGNATURE);
        Transaction withOutput = new Transaction(List.of(), List.of(new TxOutput(Amount.time(1), Fixtures.key("x", 0).keyHash())), act);
        assertThat(TransactionRules.checkStateless(withOutput)).contains(RejectReason.INVALID_ACTIVATION);
    }

    @Test
    void theSetChangesOnlyAtEpochBoundaries() {
        assertThat(ValidatorSet.EPOCH_BLOCKS).isEqualTo(4);
        assertThat(List.of(1L, 5L, 9L, 401L)).allMatch(ValidatorSet::isBoundary);
        assertThat(List.of(0L, 2L, 3L, 4L, 6L, 400L)).noneMatch(ValidatorSet::isBoundary);
        assertThat(ValidatorSet.nextBoundary(1)).isEqualTo(1);
        assertThat(ValidatorSet.nextBoundary(2)).isEqualTo(5);
        assertThat(ValidatorSet.nextBoundary(5)).isEqualTo(5);
        assertThat(ValidatorSet.nextBoundary(8)).isEqualTo(9);
        ValidatorSet set = Fixtures.GENESIS.validatorSet();
        // a block before a non-boundary height leaves the set as it is, whatever it carries; at a boundary the ledger decides
        assertThat(set.unchangedBy(Fixtures.GENESIS.block())).isFalse(); // height 1 is a boundary
        assertThat(set.unchangedBy(Fixtures.block1())).isTrue();
    }

    @Test
    void aMemberStaysByProvingServiceAndNoMoreThanTheToleratedWeightLeavesForNotProvingAtOnce() {
        // a node that proves every interval is never expired, one that misses two proofs is
        assertThat(ServiceProof.expiredAt(100, 100 + ServiceProof.INTERVAL_BLOCKS + 1)).isFalse();
        assertThat(ServiceProof.expiredAt(100, 100 + ServiceProof.EXPIRY_BLOCKS)).isFalse();
        assertThat(ServiceProof.expiredAt(100, 100 + ServiceProof.EXPIRY_BLOCKS + 1)).isTrue();
        assertThat(ServiceProof.EXPIRY_BLOCKS).as("two missed proofs tolerated").isGreaterThan(2 * ServiceProof.INTERVAL_BLOCKS);
        // renewals no closer than the minimum gap (they pay no fee)
        assertThat(ServiceProof.renews(100, 100 + ServiceProof.MIN_GAP_BLOCKS - 1)).isFalse();
        assertThat(ServiceProof.renews(100, 100 + ServiceProof.MIN_GAP_BLOCKS)).isTrue();
        assertThat(ServiceProof.renews(100, 99)).isFalse();
        // of 4 voters of weight 1, one may leave at once, not two; of 10 weight, 3
        assertThat(ServiceProof.expiredVotersLeave(1, 4)).isTrue();
        assertThat(ServiceProof.expiredVotersLeave(2, 4)).isFalse();
        assertThat(ServiceProof.expiredVotersLeave(3, 10)).isTrue();
        assertThat(ServiceProof.expiredVotersLeave(4, 10)).isFalse();
        assertThat(ServiceProof.expiredVotersLeave(0, 0)).isTrue();
    }

    @Test
    void aJointEpochCertifiesOnlyWithAQuorumOfBothSetsAndReleasesOnlyWhenLiarsCannotSaveIt() {
        List<KeyPair> keys = new ArrayList<>();
        List<ValidatorSet.Member> before = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            KeyPair k = Fixtures.key("joint", i);
            keys.add(k);
            before.add(new ValidatorSet.Member(k.publicKey(), Tier.BRONZE, k.keyHash(), new OutPoint(Hash.ZERO, i)));
        }
        List<ValidatorSet.Member> after = new ArrayList<>(before.subList(1, 4)); // key 0 left
        for (int i = 4; i < 7; i++) {
            KeyPair k = Fixtures.key("joint", i);
            keys.add(k);
            after.add(new ValidatorSet.Member(k.publicKey(), Tier.BRONZE, k.keyHash(), new OutPoint(Hash.ZERO, i)));
        }
        ValidatorSet joint = new ValidatorSet(9, 9, after, before);
        List<PublicKey> k = keys.stream().map(KeyPair::publicKey).toList();
        assertThat(joint.mayVoteOnTransactions(k.get(0))).as("a member that left votes through the joint epoch").isTrue();
        assertThat(joint.isVoter(k.get(0))).isFalse();
        // 5 of the 6 new members, but only 2 of the 4 old: no quorum of the old set
        assertThat(joint.certifies(List.of(k.get(2), k.get(3), k.get(4), k.get(5), k.get(6)))).isFalse();
        assertThat(joint.certifies(List.of(k.get(1), k.get(2), k.get(3), k.get(4), k.get(5)))).isTrue();
        assertThat(new ValidatorSet(9, 9, after).certifies(List.of(k.get(2), k.get(3), k.get(4), k.get(5), k.get(6)))).isTrue();
        // release: 2 rejections of 6 may be 1 liar (f = 1) + 1 honest: 5 of 6 could still approve where the certificate is
        // assembled (the plain count, 6 − 2 = 4 < 5, would release — and unlock a transaction that is final elsewhere)
        ValidatorSet settled = new ValidatorSet(9, 9, after);
        assertThat(settled.cannotCertifyWithout(List.of(k.get(1), k.get(2)))).isFalse();
        assertThat(settled.cannotCertifyWithout(List.of(k.get(1), k.get(2), k.get(3)))).isTrue(); // ≥ 2 honest: at most 4 approve
    }

    @Test
    void leaderIsDeterministicChangesEveryRoundAndFollowsWeight() {
        ValidatorSet s = set(Tier.BRONZE, Tier.BRONZE, Tier.SILVER, Tier.GOLD, Tier.FREE);
        assertThat(s.voters()).hasSize(4);
        assertThat(s.totalVotingWeight()).isEqualTo(112);
        Map<PublicKey, Integer> firsts = new HashMap<>();
        for (int h = 0; h < 2000; h++) {
            Hash prev = Hashes.tagged(HashTag.BLOCK, new byte[] {(byte) h, (byte) (h >> 8)});
            List<ValidatorSet.Member> order = s.leaderOrder(prev);
            assertThat(order).hasSize(4).doesNotHaveDuplicates();
            for (int r = 0; r < 8; r++) {
                assertThat(s.leader(prev, r)).isNotEqualTo(s.leader(prev, r + 1));
                assertThat(s.voters().stream().map(ValidatorSet.Member::nodeKey)).contains(s.leader(prev, r));
            }
            assertThat(s.leader(prev, 0)).isEqualTo(set(Tier.BRONZE, Tier.BRONZE, Tier.SILVER, Tier.GOLD, Tier.FREE).leader(prev, 0));
            firsts.merge(s.leader(prev, 0), 1, Integer::sum);
        }
        PublicKey gold = Fixtures.key("validator", 3).publicKey();
        PublicKey bronze = Fixtures.key("validator", 0).publicKey();
        // Gold has 100 of 112 weight: first in about 89% of the orders; Bronze about 1%.
        assertThat(firsts.get(gold)).isBetween(1650, 1900);
        assertThat(firsts.getOrDefault(bronze, 0)).isLessThan(80);
    }

    @Test
    void rewardSplitPaysEveryoneByWeightAndTheRemainderToTheLeader() {
        ValidatorSet s = set(Tier.BRONZE, Tier.SILVER, Tier.GOLD, Tier.FREE);
        PublicKey leader = Fixtures.key("validator", 0).publicKey();
        Amount total = RewardSplit.blockReward(Amount.sat(12_345));
        List<TxOutput> outs = RewardSplit.split(total, s, leader);
        assertThat(outs).hasSize(4);
        assertThat(outs.stream().mapToLong(o -> o.amount().sat()).sum()).isEqualTo(total.sat());
        // two pools: Free by their weight share (under the 10% cap here), the collateralized tiers the rest, each by weight
        long freePool = total.sat() * Tier.FREE.rewardWeight() / s.totalRewardWeight();
        long collateralizedWeight = s.totalRewardWeight() - Tier.FREE.rewardWeight();
        for (TxOutput o : outs) {
            ValidatorSet.Member m = s.members().stream().filter(x -> x.rewardKeyHash().equals(o.keyHash())).findFirst().orElseThrow();
            long floor = m.tier() == Tier.FREE ? freePool : (total.sat() - freePool) * m.tier().rewardWeight() / collateralizedWeight;
            if (m.nodeKey().equals(leader)) assertThat(o.amount().sat()).isGreaterThanOrEqualTo(floor).isLessThan(floor + s.members().size());
            else assertThat(o.amount().sat()).isEqualTo(floor);
        }
    }

    @Test
    void tenThousandMostlyFreeMembersGetAtMostOneHundredOutputsAndTakeAtMostATenthEveryonePaidInTurn() {
        List<ValidatorSet.Member> ms = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            KeyPair k = Fixtures.key("sybil", i);
            Tier tier = i < 120 ? Tier.BRONZE : Tier.FREE; // 120 collateralized: more than one block pays too
            ms.add(new ValidatorSet.Member(k.publicKey(), tier, k.keyHash(), tier == Tier.FREE ? OutPoint.NULL : new OutPoint(Hash.ZERO, i)));
        }
        Map<org.timecoin.protocol.crypto.KeyHash, Long> earned = new HashMap<>();
        long[] pools = new long[2];
        int blocks = 1_000;
        Amount total = RewardSplit.blockReward(Amount.ZERO);
        for (long h = 1; h <= blocks; h++) {
            ValidatorSet s = new ValidatorSet(h, 1, ms);
            PublicKey leader = s.voters().get((int) (h % s.voters().size())).nodeKey();
            List<TxOutput> outs = RewardSplit.split(total, s, leader);
            assertThat(outs.size()).isLessThanOrEqualTo(RewardSplit.MAX_REWARD_OUTPUTS + 1); // + the leader's remainder, if outside the window
            assertThat(outs.stream().mapToLong(o -> o.amount().sat()).sum()).isEqualTo(total.sat());
            for (TxOutput o : outs) {
                earned.merge(o.keyHash(), o.amount().sat(), Long::sum);
                boolean isFree = s.members().stream().anyMatch(m -> m.rewardKeyHash().equals(o.keyHash()) && m.tier() == Tier.FREE);
                pools[isFree ? 1 : 0] += o.amount().sat();
            }
        }
        // 9,880 Free nodes hold 89% of the reward weight, yet the collateralized tiers keep at least 90% of the reward
        assertThat(pools[1]).isLessThanOrEqualTo(total.sat() * blocks / 10);
        assertThat(pools[0]).isGreaterThanOrEqualTo(total.sat() * blocks * 9 / 10);
        // in turn: every collateralized member and every Free member within 1,000 blocks of 10 (9,880 / 10 = 988 blocks)
        assertThat(earned).hasSize(10_000);
    }

    @Test
    void registrationRulesRequireCollateralExceptForFree() {
        Transaction reg = Fixtures.GENESIS.block().transactions().get(1);
        assertThat(TransactionRules.checkStateless(reg)).isEmpty();
        assertThat(TransactionRules.checkSignatures(reg, Fixtures.CHAIN)).isEmpty();
        var r = Fixtures.GENESIS.registrations().get(0);
        var noCollateral = new org.timecoin.protocol.model.MasternodeRegistration(r.nodeKey(), r.host(), r.port(), r.rewardKeyHash(),
                Tier.BRONZE, OutPoint.NULL, r.ownerWitness(), r.nodeSignature());
        assertThat(TransactionRules.checkStateless(new Transaction(reg.inputs(), reg.outputs(), noCollateral)))
                .isEqualTo(Optional.of(RejectReason.INVALID_REGISTRATION));
        var tampered = new org.timecoin.protocol.model.MasternodeRegistration(r.nodeKey(), r.host(), r.port() + 1, r.rewardKeyHash(),
                r.tier(), r.collateral(), r.ownerWitness(), r.nodeSignature());
        assertThat(TransactionRules.checkSignatures(new Transaction(reg.inputs(), reg.outputs(), tampered), Fixtures.CHAIN))
                .contains(RejectReason.BAD_SIGNATURE);
    }

    @Test
    void aRegistrationNeedsTheNodeKeysConsentAndMayNotSpendItsOwnCollateral() {
        Transaction reg = Fixtures.GENESIS.block().transactions().get(1);
        var r = Fixtures.GENESIS.registrations().get(0);
        // someone else's node key, signed by a collateral owner alone (key squatting): the node signature is missing
        KeyPair squatter = Ed25519Keys.deterministic("squat", "owner", 0);
        var unsigned = new org.timecoin.protocol.model.MasternodeRegistration(r.nodeKey(), r.host(), r.port(), squatter.keyHash(), r.tier(), r.collateral());
        Hash h = unsigned.signingHash(Fixtures.CHAIN);
        var ownerOnly = new org.timecoin.protocol.model.MasternodeRegistration(r.nodeKey(), r.host(), r.port(), squatter.keyHash(), r.tier(),
                r.collateral(), new Witness(squatter.publicKey(), squatter.sign(h)), squatter.sign(h));
        assertThat(TransactionRules.checkSignatures(new Transaction(reg.inputs(), reg.outputs(), ownerOnly), Fixtures.CHAIN))
                .contains(RejectReason.BAD_SIGNATURE);
        // a registration whose inputs spend its own collateral would deregister itself in the block that registers it
        List<TxInput> spendsCollateral = new ArrayList<>(reg.inputs());
        spendsCollateral.add(TxInput.unsigned(r.collateral()));
        assertThat(TransactionRules.checkStateless(new Transaction(spendsCollateral, reg.outputs(), r)))
                .contains(RejectReason.COLLATERAL_IN_USE);
    }
}
