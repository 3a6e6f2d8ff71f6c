package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.Hex;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.model.Amount;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;

class CodecTest {

    static Reason reasonOf(Runnable r) {
        try {
            r.run();
        } catch (ProtocolException e) {
            return e.reason();
        }
        throw new AssertionError("expected a ProtocolException");
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] tx = Fixtures.transfer().toBytes();
        byte[] longer = Arrays.copyOf(tx, tx.length + 1);
        assertThat(reasonOf(() -> Transaction.decode(longer))).isEqualTo(Reason.TRAILING_BYTES);
    }

    @Test
    void truncationIsRejectedAtEveryLength() {
        byte[] tx = Fixtures.transfer().toBytes();
        for (int len = 0; len < tx.length; len++) {
            byte[] cut = Arrays.copyOf(tx, len);
            assertThat(reasonOf(() -> Transaction.decode(cut))).as("length " + len).isIn(Reason.TRUNCATED, Reason.INVALID_VALUE);
        }
    }

    @Test
    void unknownVersionAndKindAreRejected() {
        byte[] tx = Fixtures.transfer().toBytes();
        byte[] v2 = tx.clone();
        v2[0] = 2;
        assertThat(reasonOf(() -> Transaction.decode(v2))).isEqualTo(Reason.UNKNOWN_VERSION);
        byte[] kind = tx.clone();
        kind[1] = 9;
        assertThat(reasonOf(() -> Transaction.decode(kind))).isEqualTo(Reason.UNKNOWN_TYPE);
    }

    @Test
    void overLongListCountsAreRejectedBeforeAllocating() {
        // version 1, kind 0, input count 2^32-1: must fail on the bound, not try to allocate or read 4 billion inputs
        byte[] bytes = new Writer().u8(1).u8(0).u32(0xFFFF_FFFFL).toByteArray();
        assertThat(reasonOf(() -> Transaction.decode(bytes))).isEqualTo(Reason.LENGTH_OUT_OF_RANGE);
        byte[] justOver = new Writer().u8(1).u8(0).u32(Limits.MAX_INPUTS + 1).toByteArray();
        assertThat(reasonOf(() -> Transaction.decode(justOver))).isEqualTo(Reason.LENGTH_OUT_OF_RANGE);
    }

    @Test
    void oversizedInputIsRejectedBeforeDecoding() {
        byte[] big = new byte[Limits.MAX_TX_BYTES + 1];
        assertThat(reasonOf(() -> Transaction.decode(big))).isEqualTo(Reason.TOO_LARGE);
    }

    @Test
    void amountsAboveTwoToThe63AreRejected() {
        byte[] tx = Fixtures.transfer().toBytes();
        // first output amount starts after: version, kind, u32 count, 2 × 36-byte outpoints, u32 count
        int amountAt = 1 + 1 + 4 + 2 * 36 + 4;
        byte[] huge = tx.clone();
        huge[amountAt] = (byte) 0x80;
        assertThat(reasonOf(() -> Transaction.decode(huge))).isEqualTo(Reason.AMOUNT_OUT_OF_RANGE);
    }

    @Test
    void outputIndexAboveTheLimitIsRejected() {
        byte[] tx = Fixtures.transfer().toBytes();
        int indexAt = 1 + 1 + 4 + 32;
        byte[] bad = tx.clone();
        bad[indexAt] = (byte) 0xFF;
        assertThat(reasonOf(() -> Transaction.decode(bad))).isEqualTo(Reason.INVALID_VALUE);
    }

    @Test
    void nestedConsensusMessagesOfTheWrongTypeAreRejected() {
        // A RoundChange whose "prepares" contain a RoundChange: crafted nesting must fail on the type check.
        byte[] inner = Fixtures.roundChange(0).toBytes();
        SignedConsensusMessage outer = Fixtures.roundChange(1);
        byte[] outerBytes = outer.toBytes();
        // Replace the first nested Prepare (right after: header 1+1+4+8+4+32, flag 1, round 4, hash 32, count 4) with the RoundChange.
        int firstNested = 54 + 1 + 4 + 32 + 4;
        byte[] firstPrepare = Fixtures.prepare(0, 0, Fixtures.block1().hash()).toBytes();
        byte[] crafted = new byte[outerBytes.length - firstPrepare.length + inner.length];
        System.arraycopy(outerBytes, 0, crafted, 0, firstNested);
        System.arraycopy(inner, 0, crafted, firstNested, inner.length);
        System.arraycopy(outerBytes, firstNested + firstPrepare.length, crafted, firstNested + inner.length,
                outerBytes.length - firstNested - firstPrepare.length);
        assertThat(reasonOf(() -> SignedConsensusMessage.decode(crafted))).isEqualTo(Reason.UNKNOWN_TYPE);
        // and the uncrafted message still decodes
        assertThat(SignedConsensusMessage.decode(outerBytes)).isEqualTo(outer);
    }

    @Test
    void hexIsStrict() {
        assertThat(Hex.decode("00ffAB")).containsExactly(0x00, 0xFF, 0xAB);
        assertThat(reasonOf(() -> Hex.decode("abc"))).isEqualTo(Reason.INVALID_HEX);
        assertThat(reasonOf(() -> Hex.decode("zz"))).isEqualTo(Reason.INVALID_HEX);
        assertThat(reasonOf(() -> Hex.decode("\u0663\u0663"))).isEqualTo(Reason.INVALID_HEX); // Arabic-Indic digits
    }

    @Test
    void amountsAreOverflowChecked() {
        Amount max = Amount.sat(Long.MAX_VALUE);
        assertThat(reasonOf(() -> max.plus(Amount.sat(1)))).isEqualTo(Reason.AMOUNT_OVERFLOW);
        assertThat(reasonOf(() -> Amount.sat(1).minus(Amount.sat(2)))).isEqualTo(Reason.AMOUNT_OUT_OF_RANGE);
        assertThat(Amount.parseTime("12.5").sat()).isEqualTo(1_250_000_000L);
        assertThat(Amount.parseTime("0.00000001").sat()).isEqualTo(1);
        assertThat(reasonOf(() -> Amount.parseTime("0.000000001"))).isEqualTo(Reason.AMOUNT_OUT_OF_RANGE);
        assertThat(reasonOf(() -> Amount.parseTime("-1"))).isEqualTo(Reason.AMOUNT_OUT_OF_RANGE);
        assertThat(Amount.sat(150_000_000).toTimeString()).isEqualTo("1.50000000");
    }

    @Test
    void blocksRoundTrip() {
        Block b = Fixtures.block1();
        Block decoded = Block.decode(b.toBytes());
        assertThat(decoded).isEqualTo(b);
        assertThat(decoded.hash()).isEqualTo(b.hash());
        assertThatThrownBy(() -> Block.decode(new byte[] {1})).isInstanceOf(ProtocolException.class);
    }
}
