package org.timecoin.protocol.model;

import java.util.List;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.PublicKey;

/**
 * The block BFT messages. Each body is: u8 version (1) ‖ u8 type ‖ u32 chain id ‖ u64 height ‖ u32 round ‖ signer
 * key ‖ type-specific fields, and is signed as H("TIMECOIN/consensus", body) (see {@link SignedConsensusMessage}).
 */
public sealed interface ConsensusMessage
        permits ConsensusMessage.PrePrepare, ConsensusMessage.Prepare, ConsensusMessage.Commit, ConsensusMessage.RoundChange {
    int VERSION = 1;
    int TYPE_PRE_PREPARE = 1;
    int TYPE_PREPARE = 2;
    int TYPE_COMMIT = 3;
    int TYPE_ROUND_CHANGE = 4;

    int type();

    int chainId();

    long height();

    int round();

    PublicKey signer();

    void writeFields(Writer w);

    default void writeBody(Writer w) {
        w.u8(VERSION).u8(type()).u32(chainId()).u64(height()).u32(round());
        signer().write(w);
        writeFields(w);
    }

    /**
     * The leader's proposal: the block, a finality certificate for each of its non-reward transactions (in block
     * order), and for rounds above 0 the quorum of signed RoundChange messages that justifies the round.
     */
    record PrePrepare(int chainId, long height, int round, PublicKey signer, Block block,
                      List<FinalityCertificate> certificates, List<SignedConsensusMessage> justification) implements ConsensusMessage {
        public PrePrepare {
            certificates = List.copyOf(certificates);
            justification = List.copyOf(justification);
        }

        public int type() {
            return TYPE_PRE_PREPARE;
        }

        public void writeFields(Writer w) {
            block.encode(w);
            w.list(certificates, Limits.MAX_BLOCK_TRANSACTIONS, (ww, c) -> c.encode(ww));
            w.list(justification, Limits.MAX_VALIDATORS, (ww, m) -> m.encode(ww));
        }
    }

    /** A validator checked the proposal with this hash. */
    record Prepare(int chainId, long height, int round, PublicKey signer, Hash blockHash) implements ConsensusMessage {
        public int type() {
            return TYPE_PREPARE;
        }

        public void writeFields(Writer w) {
            blockHash.write(w);
        }
    }

    /** A validator saw a Prepare quorum for this hash; a quorum of Commit signatures is the commit certificate. */
    record Commit(int chainId, long height, int round, PublicKey signer, Hash blockHash) implements ConsensusMessage {
        public int type() {
            return TYPE_COMMIT;
        }

        public void writeFields(Writer w) {
            blockHash.write(w);
        }
    }

    /**
     * Move to {@code round}. If the signer prepared a block in an earlier round it says so: u8 1 ‖ u32 prepared round ‖
     * block hash ‖ the Prepare quorum that proves it (u32 n ‖ signed Prepares); else u8 0.
     */
    record RoundChange(int chainId, long height, int round, PublicKey signer, Prepared prepared) implements ConsensusMessage {
        public int type() {
            return TYPE_ROUND_CHANGE;
        }

        public void writeFields(Writer w) {
            if (prepared == null) {
                w.u8(0);
            } else {
                w.u8(1);
                prepared.write(w);
            }
        }
    }

    /** Evidence that a block was prepared in a round: the quorum of signed Prepares. */
    record Prepared(int round, Hash blockHash, List<SignedConsensusMessage> prepares) {
        public Prepared {
            prepares = List.copyOf(prepares);
        }

        /** u32 round ‖ block hash ‖ u32 n ‖ n × signed Prepare. */
        public void write(Writer w) {
            w.u32(round);
            blockHash.write(w);
            w.list(prepares, Limits.MAX_VALIDATORS, (ww, m) -> m.encode(ww));
        }

        public static Prepared read(Reader r) {
            return new Prepared(r.u32InRange("prepared round", 0, Integer.MAX_VALUE), Hash.read(r),
                    r.list(Limits.MAX_VALIDATORS, rr -> SignedConsensusMessage.readNested(rr, TYPE_PREPARE)));
        }
    }

    static ConsensusMessage readBody(Reader r) {
        int version = r.u8();
        if (version != VERSION) throw new ProtocolException(Reason.UNKNOWN_VERSION, "consensus message version " + version);
        int type = r.u8();
        int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
        long height = r.u63("height");
        int round = r.u32InRange("round", 0, Integer.MAX_VALUE);
        PublicKey signer = PublicKey.read(r);
        return switch (type) {
            case TYPE_PRE_PREPARE -> new PrePrepare(chainId, height, round, signer, Block.read(r),
                    r.list(Limits.MAX_BLOCK_TRANSACTIONS, FinalityCertificate::read),
                    r.list(Limits.MAX_VALIDATORS, rr -> SignedConsensusMessage.readNested(rr, TYPE_ROUND_CHANGE)));
            case TYPE_PREPARE -> new Prepare(chainId, height, round, signer, Hash.read(r));
            case TYPE_COMMIT -> new Commit(chainId, height, round, signer, Hash.read(r));
            case TYPE_ROUND_CHANGE -> new RoundChange(chainId, height, round, signer, r.bool() ? Prepared.read(r) : null);
            default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "consensus message type " + type);
        };
    }
}
