package org.timecoin.protocol.stack;

import java.util.ArrayList;
import java.util.List;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.KeyHash;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.FinalityCertificate;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.OutPoint;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Tier;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxInput;
import org.timecoin.protocol.model.TxVerdict;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.rules.ValidatorSet;

/**
 * Records on the Kafka topics inside one masternode stack (never on the wire between operators). Each record value is
 * u8 kind ‖ body, in the protocol's canonical encoding; decoding is as strict as for network messages.
 *
 * <p>Its size (~430 lines): every record format between the services is here on purpose, so a change to one is reviewed beside the others and their kind bytes stay unique.
 */
public final class StackRecords {
    private StackRecords() {
    }

    // ---- consensus.in (p2p → consensus) and consensus.out (consensus → p2p) ----

    /** A record of consensus.in / consensus.out. */
    public sealed interface PeerTraffic permits ConsensusMsg, Votes, SyncedBlock, SyncRequest {
    }

    /** kind 1: a signed block-consensus message. */
    public record ConsensusMsg(SignedConsensusMessage message) implements PeerTraffic {
    }

    /** kind 2: a transaction vote batch. */
    public record Votes(TxVoteBatch batch) implements PeerTraffic {
    }

    /** kind 3 (in only): a finalized block fetched from a peer: Block ‖ CommitCertificate. */
    public record SyncedBlock(Block block, CommitCertificate certificate) implements PeerTraffic {
    }

    /** kind 4 (out only): please fetch finalized blocks from this height on: u64 height. */
    public record SyncRequest(long fromHeight) implements PeerTraffic {
    }

    public static byte[] encode(PeerTraffic t) {
        Writer w = new Writer(256);
        if (t instanceof ConsensusMsg m) {
            w.u8(1);
            m.message().encode(w);
        } else if (t instanceof Votes v) {
            w.u8(2);
            v.batch().encode(w);
        } else if (t instanceof SyncedBlock s) {
            w.u8(3);
            s.block().encode(w);
            s.certificate().encode(w);
        } else if (t instanceof SyncRequest r) {
            w.u8(4).u64(r.fromHeight());
        }
        return w.toByteArray();
    }

    public static PeerTraffic decodePeerTraffic(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, r -> {
            int kind = r.u8();
            return switch (kind) {
                case 1 -> new ConsensusMsg(SignedConsensusMessage.read(r));
                case 2 -> new Votes(TxVoteBatch.read(r));
                case 3 -> new SyncedBlock(Block.read(r), CommitCertificate.read(r));
                case 4 -> new SyncRequest(r.u63("height"));
                default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "peer traffic kind " + kind);
            };
        });
    }

    // ---- tx.verdicts (ledger → consensus, gateway) ----

    /** One verdict: txid ‖ u8 verdict ‖ string reason (empty when approved). */
    public record Verdict(Hash txid, TxVerdict verdict, String reason) {
    }

    /**
     * A record of tx.verdicts: the verdicts one piece of the ledger's work reached (a poll of tx.submitted, orphans
     * woken or expired), in order: list&lt;verdict&gt;, at most {@link #MAX_VERDICTS}; {@link #encodeVerdicts} splits a
     * longer list. One record per poll, not per transaction: each record costs its producer and both consumers a
     * dispatch, a commit and a trace span, whatever it holds.
     */
    public static final int MAX_VERDICTS = 5_000;

    private static final int MAX_REASON_BYTES = 64;

    /** The verdicts in order, in as few records as {@link #MAX_VERDICTS} allows. */
    public static List<byte[]> encodeVerdicts(List<Verdict> verdicts) {
        List<byte[]> records = new ArrayList<>();
        for (int from = 0; from < verdicts.size(); from += MAX_VERDICTS) {
            List<Verdict> part = verdicts.subList(from, Math.min(verdicts.size(), from + MAX_VERDICTS));
            Writer w = new Writer(4 + 40 * part.size());
            w.list(part, MAX_VERDICTS, (ww, v) -> {
                v.txid().write(ww);
                ww.u8(v.verdict().code()).string(v.reason(), MAX_REASON_BYTES);
            });
            records.add(w.toByteArray());
        }
        return records;
    }

    public static List<Verdict> decodeVerdicts(byte[] bytes) {
        return Reader.decodeExactly(bytes, 4 + (32 + 1 + 2 + MAX_REASON_BYTES) * MAX_VERDICTS,
                r -> r.list(MAX_VERDICTS, rr -> new Verdict(Hash.read(rr), TxVerdict.byCode(rr.u8()), rr.string(MAX_REASON_BYTES))));
    }

    // ---- tx.finalized (consensus → ledger, gateway, p2p) ----

    public sealed interface TxOutcome permits Finalized, Released {
        Hash txid();
    }

    /** kind 1: the transaction is final. */
    public record Finalized(FinalityCertificate certificate) implements TxOutcome {
        public Hash txid() {
            return certificate.txid();
        }
    }

    /** kind 2: release its locks: txid ‖ string reason. */
    public record Released(Hash txid, String reason) implements TxOutcome {
    }

    /**
     * One record of tx.finalized: the outcomes one consensus event produced (the tally of a vote batch, a lock timeout),
     * in order: u32 n ‖ n × (u8 kind ‖ body), at most {@link #MAX_OUTCOMES} outcomes and {@link #MAX_OUTCOMES_BYTES}
     * bytes ({@link #encodeOutcomes} splits a longer list). One record per event, not per transaction: a tally that
     * finalized a thousand transactions is one message to hand to Kafka, not a thousand.
     */
    public record TxOutcomes(List<TxOutcome> outcomes) {
        public TxOutcomes {
            if (outcomes.size() > MAX_OUTCOMES) throw new IllegalArgumentException("at most " + MAX_OUTCOMES + " outcomes per record");
            outcomes = List.copyOf(outcomes);
        }
    }

    public static final int MAX_OUTCOMES = 10_000;
    public static final int MAX_OUTCOMES_BYTES = 4 * 1024 * 1024;

    /** A record of one outcome. */
    public static byte[] encode(TxOutcome o) {
        return encodeOutcomes(List.of(o)).get(0);
    }

    /** The outcomes in order, in as few records as the limits allow (each outcome is at most 1 MiB, so each fits). */
    public static List<byte[]> encodeOutcomes(List<? extends TxOutcome> outcomes) {
        List<byte[]> records = new ArrayList<>();
        List<byte[]> entries = new ArrayList<>();
        int bytes = 4;
        for (TxOutcome o : outcomes) {
            byte[] entry = encodeOutcome(o);
            if (!entries.isEmpty() && (entries.size() == MAX_OUTCOMES || bytes + entry.length > MAX_OUTCOMES_BYTES)) {
                records.add(outcomesRecord(entries, bytes));
                entries.clear();
                bytes = 4;
            }
            entries.add(entry);
            bytes += entry.length;
        }
        if (!entries.isEmpty()) records.add(outcomesRecord(entries, bytes));
        return records;
    }

    private static byte[] outcomesRecord(List<byte[]> entries, int bytes) {
        Writer w = new Writer(bytes);
        w.list(entries, MAX_OUTCOMES, Writer::raw);
        return w.toByteArray();
    }

    private static byte[] encodeOutcome(TxOutcome o) {
        Writer w = new Writer(256);
        if (o instanceof Finalized f) {
            w.u8(1);
            f.certificate().encode(w);
        } else if (o instanceof Released r) {
            w.u8(2);
            r.txid().write(w);
            w.string(r.reason(), 64);
        }
        byte[] entry = w.toByteArray();
        if (entry.length > Limits.MAX_SMALL_MESSAGE_BYTES) throw new IllegalArgumentException("outcome of " + entry.length + " bytes");
        return entry;
    }

    public static TxOutcomes decodeTxOutcomes(byte[] bytes) {
        return Reader.decodeExactly(bytes, MAX_OUTCOMES_BYTES, r -> new TxOutcomes(r.list(MAX_OUTCOMES, StackRecords::readOutcome)));
    }

    private static TxOutcome readOutcome(Reader r) {
        int kind = r.u8();
        return switch (kind) {
            case 1 -> new Finalized(FinalityCertificate.read(r));
            case 2 -> new Released(Hash.read(r), r.string(64));
            default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "tx outcome kind " + kind);
        };
    }

    // ---- tx.applied (ledger → gateway, ledger replicas) ----

    /**
     * The transactions whose finality this stack's ledger has just applied (committed; their outputs exist) and the
     * outpoints they spent, one record per ledger poll: list&lt;hash txid&gt; (at most {@link #MAX_APPLIED}) ‖
     * list&lt;outpoint spent&gt; (at most {@link #MAX_APPLIED_SPENT}); a larger poll is announced in several records
     * ({@link #encodeApplied}). The gateway answers finality waits from the txids; the other ledger replicas wake the
     * orphans waiting for those outputs and drop the spent outpoints from their caches.
     */
    public record TxApplied(List<Hash> txids, List<OutPoint> spent) {
        public TxApplied {
            if (txids.size() > MAX_APPLIED) throw new IllegalArgumentException("at most " + MAX_APPLIED + " txids per record");
            if (spent.size() > MAX_APPLIED_SPENT) throw new IllegalArgumentException("at most " + MAX_APPLIED_SPENT + " spent outpoints per record");
            txids = List.copyOf(txids);
            spent = List.copyOf(spent);
        }
    }

    public static final int MAX_APPLIED = 10_000;
    /** Room for every input of {@link #MAX_APPLIED} two-input payments, and for any one transaction ({@link Limits#MAX_INPUTS}). */
    public static final int MAX_APPLIED_SPENT = 20_000;

    public static byte[] encode(TxApplied a) {
        Writer w = new Writer(8 + 32 * a.txids().size() + 36 * a.spent().size());
        w.list(a.txids(), MAX_APPLIED, (ww, h) -> h.write(ww));
        w.list(a.spent(), MAX_APPLIED_SPENT, (ww, p) -> p.write(ww));
        return w.toByteArray();
    }

    /** The applied transactions, in order, in as few records as the limits allow; a transaction is never split. */
    public static List<byte[]> encodeApplied(List<Transaction> txs) {
        List<byte[]> records = new ArrayList<>();
        List<Hash> txids = new ArrayList<>();
        List<OutPoint> spent = new ArrayList<>();
        for (Transaction tx : txs) {
            if (txids.size() == MAX_APPLIED || !txids.isEmpty() && spent.size() + tx.inputs().size() > MAX_APPLIED_SPENT) {
                records.add(encode(new TxApplied(txids, spent)));
                txids.clear();
                spent.clear();
            }
            txids.add(tx.txid());
            for (TxInput in : tx.inputs()) spent.add(in.previous());
        }
        if (!txids.isEmpty()) records.add(encode(new TxApplied(txids, spent)));
        return records;
    }

    public static TxApplied decodeTxApplied(byte[] bytes) {
        return Reader.decodeExactly(bytes, 8 + 32 * MAX_APPLIED + 36 * MAX_APPLIED_SPENT,
                r -> new TxApplied(r.list(MAX_APPLIED, Hash::read), r.list(MAX_APPLIED_SPENT, OutPoint::read)));
    }

    // ---- blocks.finalized (consensus → ledger) ----

    public record FinalizedBlock(Block block, CommitCertificate certificate) {
    }

    public static byte[] encode(FinalizedBlock f) {
        Writer w = new Writer(1024);
        f.block().encode(w);
        f.certificate().encode(w);
        return w.toByteArray();
    }

    public static FinalizedBlock decodeFinalizedBlock(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_BLOCK_BYTES + Limits.MAX_SMALL_MESSAGE_BYTES,
                r -> new FinalizedBlock(Block.read(r), CommitCertificate.read(r)));
    }

    // ---- blocks.applied (ledger → consensus, gateway, p2p, ledger replicas) ----

    /**
     * u64 height ‖ hash ‖ u64 timestamp ‖ UTXO-set commitment hash ‖ validator set for height+1:
     * u64 epoch ‖ u32 n ‖ n × (key ‖ u8 tier ‖ reward keyhash ‖ collateral outpoint).
     */
    public record BlockApplied(long height, Hash hash, long timestampMillis, Hash utxoCommitment, ValidatorSet nextSet) {
    }

    public static byte[] encode(BlockApplied a) {
        Writer w = new Writer(256);
        w.u64(a.height());
        a.hash().write(w);
        w.u64(a.timestampMillis());
        a.utxoCommitment().write(w);
        w.u64(a.nextSet().epoch());
        // voters only: Free members (any number of them) share rewards, which only the ledger computes
        writeMembers(w, a.nextSet().voters());
        ValidatorSet joint = a.nextSet().jointWith();
        w.u8(joint == null ? 0 : 1);
        if (joint != null) writeMembers(w, joint.voters());
        return w.toByteArray();
    }

    /** {@code list<key ‖ u8 tier ‖ keyhash ‖ OutPoint collateral>}: a validator set's members (also how the ledger keeps epochs). */
    public static void writeMembers(Writer w, List<ValidatorSet.Member> members) {
        w.list(members, Limits.MAX_VALIDATORS, (ww, m) -> {
            m.nodeKey().write(ww);
            ww.u8(m.tier().code());
            m.rewardKeyHash().write(ww);
            m.collateral().write(ww);
        });
    }

    public static List<ValidatorSet.Member> readMembers(Reader r) {
        return r.list(Limits.MAX_VALIDATORS, rr -> new ValidatorSet.Member(PublicKey.read(rr), Tier.byCode(rr.u8()), KeyHash.read(rr), OutPoint.read(rr)));
    }

    public static byte[] encodeMembers(List<ValidatorSet.Member> members) {
        Writer w = new Writer(64 + members.size() * 90);
        writeMembers(w, members);
        return w.toByteArray();
    }

    public static List<ValidatorSet.Member> decodeMembers(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, StackRecords::readMembers);
    }

    public static BlockApplied decodeBlockApplied(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_SMALL_MESSAGE_BYTES, r -> {
            long height = r.u63("height");
            Hash hash = Hash.read(r);
            long ts = r.u63("timestamp");
            Hash commitment = Hash.read(r);
            long epoch = r.u63("epoch");
            if (epoch > height + 1) throw new ProtocolException(Reason.INVALID_VALUE, "epoch after the set's height");
            List<ValidatorSet.Member> members = readMembers(r);
            List<ValidatorSet.Member> joint = r.bool() ? readMembers(r) : null;
            try {
                return new BlockApplied(height, hash, ts, commitment, new ValidatorSet(height + 1, epoch, members, joint));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(Reason.INVALID_VALUE, e.getMessage());
            }
        });
    }

    /** The key of a record that belongs to a height (blocks, proposals, consensus traffic): u64 height, big-endian. */
    public static byte[] heightKey(long height) {
        Writer w = new Writer(8);
        w.u64(height);
        return w.toByteArray();
    }

    // ---- proposals.requests (consensus → ledger) and proposals.responses (ledger → consensus) ----

    public sealed interface ProposalRequest permits BuildRequest, CheckRequest {
        long height();

        int round();
    }

    /** kind 1: build a block: u64 height ‖ u32 round ‖ previous hash ‖ u64 previous timestamp ‖ proposer key. */
    public record BuildRequest(long height, int round, Hash previousHash, long previousTimestampMillis, PublicKey proposer)
            implements ProposalRequest {
    }

    /** kind 2: check a proposal: u64 height ‖ u32 round ‖ block ‖ list of finality certificates. */
    public record CheckRequest(long height, int round, Block block, List<FinalityCertificate> certificates) implements ProposalRequest {
    }

    public static byte[] encode(ProposalRequest p) {
        Writer w = new Writer(512);
        if (p instanceof BuildRequest b) {
            w.u8(1).u64(b.height()).u32(b.round());
            b.previousHash().write(w);
            w.u64(b.previousTimestampMillis());
            b.proposer().write(w);
        } else if (p instanceof CheckRequest c) {
            w.u8(2).u64(c.height()).u32(c.round());
            writeProposal(w, c.block(), c.certificates());
        }
        return w.toByteArray();
    }

    public static ProposalRequest decodeProposalRequest(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, r -> {
            int kind = r.u8();
            long height = r.u63("height");
            int round = r.u32InRange("round", 0, Integer.MAX_VALUE);
            return switch (kind) {
                case 1 -> new BuildRequest(height, round, Hash.read(r), r.u63("timestamp"), PublicKey.read(r));
                case 2 -> new CheckRequest(height, round, Block.read(r), readCertificates(r));
                default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "proposal request kind " + kind);
            };
        });
    }

    public sealed interface ProposalResponse permits Built, Checked {
    }

    /** kind 1: the block built for (height, round) and a certificate per non-reward transaction. */
    public record Built(long height, int round, Block block, List<FinalityCertificate> certificates) implements ProposalResponse {
    }

    /** kind 2: u64 height ‖ u32 round ‖ block hash ‖ u8 valid. */
    public record Checked(long height, int round, Hash blockHash, boolean valid) implements ProposalResponse {
    }

    public static byte[] encode(ProposalResponse p) {
        Writer w = new Writer(512);
        if (p instanceof Built b) {
            w.u8(1).u64(b.height()).u32(b.round());
            writeProposal(w, b.block(), b.certificates());
        } else if (p instanceof Checked c) {
            w.u8(2).u64(c.height()).u32(c.round());
            c.blockHash().write(w);
            w.u8(c.valid() ? 1 : 0);
        }
        return w.toByteArray();
    }

    public static ProposalResponse decodeProposalResponse(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_CONSENSUS_MESSAGE_BYTES, r -> {
            int kind = r.u8();
            long height = r.u63("height");
            int round = r.u32InRange("round", 0, Integer.MAX_VALUE);
            return switch (kind) {
                case 1 -> new Built(height, round, Block.read(r), readCertificates(r));
                case 2 -> new Checked(height, round, Hash.read(r), r.bool());
                default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "proposal response kind " + kind);
            };
        });
    }

    /** A proposal's block and its finality certificates (one per non-reward transaction). */
    private static void writeProposal(Writer w, Block block, List<FinalityCertificate> certificates) {
        block.encode(w);
        w.list(certificates, Limits.MAX_BLOCK_TRANSACTIONS, (ww, f) -> f.encode(ww));
    }

    private static List<FinalityCertificate> readCertificates(Reader r) {
        return r.list(Limits.MAX_BLOCK_TRANSACTIONS, FinalityCertificate::read);
    }
}
