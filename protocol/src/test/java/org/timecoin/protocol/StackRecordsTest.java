package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.timecoin.protocol.CodecTest.reasonOf;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxOutput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.rules.ValidatorSet;
import org.timecoin.protocol.stack.StackRecords;

class StackRecordsTest {

    /** Records of one height share a partition: the key is the height, eight bytes big-endian. */
    @Test
    void aHeightKeyIsTheHeightInEightBigEndianBytes() {
        assertThat(StackRecords.heightKey(0x0102030405060708L)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(StackRecords.heightKey(0)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void peerTrafficRoundTrips() {
        var msg = new StackRecords.ConsensusMsg(Fixtures.commit(1));
        assertThat(StackRecords.decodePeerTraffic(StackRecords.encode(msg))).isEqualTo(msg);
        var votes = new StackRecords.Votes(Fixtures.voteBatch(2));
        assertThat(StackRecords.decodePeerTraffic(StackRecords.encode(votes))).isEqualTo(votes);
        var synced = new StackRecords.SyncedBlock(Fixtures.block1(), Fixtures.commitCertificate());
        assertThat(StackRecords.decodePeerTraffic(StackRecords.encode(synced))).isEqualTo(synced);
        var sync = new StackRecords.SyncRequest(42);
        assertThat(StackRecords.decodePeerTraffic(StackRecords.encode(sync))).isEqualTo(sync);
        assertThat(reasonOf(() -> StackRecords.decodePeerTraffic(new byte[] {9}))).isEqualTo(Reason.UNKNOWN_TYPE);
        assertThat(reasonOf(() -> StackRecords.decodePeerTraffic(new byte[0]))).isEqualTo(Reason.TRUNCATED);
    }

    /** A poll's verdicts go out in as few records as the per-record bound allows, in order, none lost at a split. */
    @Test
    void verdictsBeyondOneRecordsBoundAreSplitInOrder() {
        List<StackRecords.Verdict> many = new java.util.ArrayList<>();
        for (int i = 0; i < StackRecords.MAX_VERDICTS + 3; i++) {
            many.add(new StackRecords.Verdict(new org.timecoin.protocol.crypto.Hash(org.timecoin.protocol.crypto.Hashes.sha256(new byte[] {(byte) i, (byte) (i >> 8)})),
                    i % 2 == 0 ? TxVerdict.APPROVE : TxVerdict.REJECT, i % 2 == 0 ? "" : "MEMPOOL_FULL"));
        }
        List<byte[]> records = StackRecords.encodeVerdicts(many);
        assertThat(records).hasSize(2);
        List<StackRecords.Verdict> back = new java.util.ArrayList<>();
        for (byte[] r : records) back.addAll(StackRecords.decodeVerdicts(r));
        assertThat(back).isEqualTo(many);
        assertThat(reasonOf(() -> StackRecords.decodeVerdicts(java.util.Arrays.copyOf(records.get(1), records.get(1).length - 1)))).isEqualTo(Reason.TRUNCATED);
    }

    @Test
    void ledgerAndConsensusRecordsRoundTrip() {
        var verdict = new StackRecords.Verdict(Fixtures.transfer().txid(), TxVerdict.REJECT, "INPUT_LOCKED");
        var approval = new StackRecords.Verdict(Fixtures.finalityCertificate().txid(), TxVerdict.APPROVE, "");
        List<byte[]> oneRecord = StackRecords.encodeVerdicts(List.of(verdict, approval));
        assertThat(oneRecord).hasSize(1);
        assertThat(StackRecords.decodeVerdicts(oneRecord.get(0))).containsExactly(verdict, approval);
        var fin = new StackRecords.Finalized(Fixtures.finalityCertificate());
        assertThat(StackRecords.decodeTxOutcomes(StackRecords.encode(fin)).outcomes()).containsExactly(fin);
        var rel = new StackRecords.Released(Fixtures.transfer().txid(), "LOCK_TIMEOUT");
        List<byte[]> both = StackRecords.encodeOutcomes(List.of(fin, rel));
        assertThat(both).hasSize(1);
        assertThat(StackRecords.decodeTxOutcomes(both.get(0)).outcomes()).containsExactly(fin, rel);
        byte[] unknownKind = both.get(0).clone();
        unknownKind[4] = 9; // the first outcome's kind
        assertThat(reasonOf(() -> StackRecords.decodeTxOutcomes(unknownKind))).isEqualTo(Reason.UNKNOWN_TYPE);
        var applied = new StackRecords.TxApplied(List.of(Fixtures.transfer().txid(), Fixtures.finalityCertificate().txid()),
                List.of(Fixtures.transfer().inputs().get(0).previous()));
        assertThat(StackRecords.decodeTxApplied(StackRecords.encode(applied))).isEqualTo(applied);
        byte[] truncated = java.util.Arrays.copyOf(StackRecords.encode(applied), 4 + 32 + 5);
        assertThat(reasonOf(() -> StackRecords.decodeTxApplied(truncated))).isEqualTo(Reason.TRUNCATED);
        var block = new StackRecords.FinalizedBlock(Fixtures.block1(), Fixtures.commitCertificate());
        assertThat(StackRecords.decodeFinalizedBlock(StackRecords.encode(block))).isEqualTo(block);
        var build = new StackRecords.BuildRequest(5, 1, Hash.ZERO, 123, Fixtures.nodeKey(0).publicKey());
        assertThat(StackRecords.decodeProposalRequest(StackRecords.encode(build))).isEqualTo(build);
        var check = new StackRecords.CheckRequest(1, 0, Fixtures.block1(), List.of(Fixtures.finalityCertificate()));
        assertThat(StackRecords.decodeProposalRequest(StackRecords.encode(check))).isEqualTo(check);
        var checked = new StackRecords.Checked(1, 0, Fixtures.block1().hash(), true);
        assertThat(StackRecords.decodeProposalResponse(StackRecords.encode(checked))).isEqualTo(checked);
    }

    /** A list of outcomes longer than one record allows is split, in order, into records that each decode. */
    @Test
    void outcomesBeyondOneRecordAreSplitInOrder() {
        List<StackRecords.TxOutcome> many = new java.util.ArrayList<>();
        for (int i = 0; i < StackRecords.MAX_OUTCOMES + 5; i++) {
            many.add(new StackRecords.Released(org.timecoin.protocol.crypto.Hashes.tagged(org.timecoin.protocol.crypto.HashTag.TX, new byte[] {(byte) i, (byte) (i >> 8)}), "LOCK_TIMEOUT"));
        }
        List<byte[]> records = StackRecords.encodeOutcomes(many);
        assertThat(records).hasSize(2);
        List<StackRecords.TxOutcome> decoded = new java.util.ArrayList<>();
        for (byte[] r : records) decoded.addAll(StackRecords.decodeTxOutcomes(r).outcomes());
        assertThat(decoded).isEqualTo(many);
        // by bytes too: certificates of ~1 KiB each, more than 4 MiB of them
        var fin = new StackRecords.Finalized(Fixtures.finalityCertificate());
        int size = StackRecords.encode(fin).length - 4;
        int perRecord = (StackRecords.MAX_OUTCOMES_BYTES - 4) / size;
        assertThat(perRecord).isLessThan(StackRecords.MAX_OUTCOMES); // so the bytes, not the count, split this list
        List<StackRecords.TxOutcome> big = java.util.Collections.nCopies(perRecord + 1, fin);
        List<byte[]> split = StackRecords.encodeOutcomes(big);
        assertThat(split).hasSize(2);
        assertThat(split).allSatisfy(r -> assertThat(r.length).isLessThanOrEqualTo(StackRecords.MAX_OUTCOMES_BYTES));
        assertThat(split.stream().mapToInt(r -> StackRecords.decodeTxOutcomes(r).outcomes().size()).sum()).isEqualTo(big.size());
        assertThat(StackRecords.encodeOutcomes(List.of())).isEmpty();
    }

    @Test
    void appliedTransactionsBeyondOneRecordAreSplitInOrderWithTheirSpentOutpoints() {
        // by count: two-input payments, one more than a record's txids
        List<Transaction> payments = new java.util.ArrayList<>();
        for (int i = 0; i <= StackRecords.MAX_APPLIED; i++) payments.add(spending(i, 2));
        assertSplitInOrder(payments, 2);
        // by spent outpoints: transactions of the most inputs, one more than a record's room for them
        int perRecord = StackRecords.MAX_APPLIED_SPENT / Limits.MAX_INPUTS;
        List<Transaction> wide = new java.util.ArrayList<>();
        for (int i = 0; i <= perRecord; i++) wide.add(spending(i, Limits.MAX_INPUTS));
        assertSplitInOrder(wide, 2);
        assertThat(StackRecords.encodeApplied(List.of())).isEmpty();
    }

    private static Transaction spending(int i, int inputs) {
        List<OutPoint> spends = new java.util.ArrayList<>();
        for (int k = 0; k < inputs; k++) {
            spends.add(new OutPoint(org.timecoin.protocol.crypto.Hashes.tagged(org.timecoin.protocol.crypto.HashTag.TX, new byte[] {(byte) i, (byte) (i >> 8)}), k));
        }
        return Transaction.transfer(spends, List.of(new TxOutput(Amount.time(1), Fixtures.key("payee", 0).keyHash())));
    }

    private static void assertSplitInOrder(List<Transaction> txs, int records) {
        List<byte[]> encoded = StackRecords.encodeApplied(txs);
        assertThat(encoded).hasSize(records);
        List<Hash> txids = new java.util.ArrayList<>();
        List<OutPoint> spent = new java.util.ArrayList<>();
        for (byte[] r : encoded) {
            StackRecords.TxApplied a = StackRecords.decodeTxApplied(r);
            txids.addAll(a.txids());
            spent.addAll(a.spent());
        }
        assertThat(txids).isEqualTo(txs.stream().map(Transaction::txid).toList());
        assertThat(spent).isEqualTo(txs.stream().flatMap(t -> t.inputs().stream()).map(in -> in.previous()).toList());
    }

    @Test
    void blockAppliedCarriesTheNextValidatorSetWithItsEpoch() {
        ValidatorSet set = new ValidatorSet(8, 3, Fixtures.GENESIS.validatorSet().members());
        var applied = new StackRecords.BlockApplied(7, Fixtures.block1().hash(), 99, Hash.ZERO, set);
        StackRecords.BlockApplied back = StackRecords.decodeBlockApplied(StackRecords.encode(applied));
        assertThat(back.height()).isEqualTo(7);
        assertThat(back.nextSet().height()).isEqualTo(8);
        assertThat(back.nextSet().epoch()).isEqualTo(3);
        assertThat(back.nextSet().members()).isEqualTo(set.voters());
        assertThat(back.nextSet().jointWith()).isNull();
        // a joint epoch carries the voters before its change; Free members are not carried (the ledger pays them)
        List<ValidatorSet.Member> with = new java.util.ArrayList<>(set.members());
        var free = Fixtures.key("free", 1);
        with.add(new ValidatorSet.Member(free.publicKey(), org.timecoin.protocol.model.Tier.FREE, free.keyHash(), org.timecoin.protocol.model.OutPoint.NULL));
        ValidatorSet joint = new ValidatorSet(9, 9, with, set.voters().subList(0, 3));
        ValidatorSet jointBack = StackRecords.decodeBlockApplied(StackRecords.encode(new StackRecords.BlockApplied(8, Hash.ZERO, 99, Hash.ZERO, joint))).nextSet();
        assertThat(jointBack.members()).isEqualTo(set.voters());
        assertThat(jointBack.jointWith().members()).isEqualTo(set.voters().subList(0, 3));
        // a node key listed twice is refused with a reason, not an exception
        byte[] bytes = StackRecords.encode(new StackRecords.BlockApplied(7, Hash.ZERO, 99, Hash.ZERO, set));
        byte[] tampered = withDuplicateMember(bytes);
        assertThat(reasonOf(() -> StackRecords.decodeBlockApplied(tampered))).isEqualTo(Reason.INVALID_VALUE);
    }

    /** Re-encodes the member list of a BlockApplied record with its first member twice. */
    private static byte[] withDuplicateMember(byte[] bytes) {
        int listAt = 8 + 32 + 8 + 32 + 8;
        int memberSize = 32 + 1 + 20 + 36; // key, tier, reward key hash, collateral
        int count = ((bytes[listAt] & 0xFF) << 24) | ((bytes[listAt + 1] & 0xFF) << 16) | ((bytes[listAt + 2] & 0xFF) << 8) | (bytes[listAt + 3] & 0xFF);
        int listEnd = listAt + 4 + count * memberSize; // the joint flag and any joint list follow the list
        byte[] out = new byte[bytes.length + memberSize];
        System.arraycopy(bytes, 0, out, 0, listEnd);
        System.arraycopy(bytes, listAt + 4, out, listEnd, memberSize);
        System.arraycopy(bytes, listEnd, out, listEnd + memberSize, bytes.length - listEnd);
        int n = count + 1;
        out[listAt] = (byte) (n >>> 24);
        out[listAt + 1] = (byte) (n >>> 16);
        out[listAt + 2] = (byte) (n >>> 8);
        out[listAt + 3] = (byte) n;
        return out;
    }
}
