package org.timecoin.protocol.wire;

import java.util.List;

import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Ed25519Keys;
import org.timecoin.protocol.crypto.Ed25519Keys.KeyPair;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.HashTag;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.crypto.Signature;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVoteBatch;

/**
 * The messages between masternodes (p2p). Each travels in one frame (see {@link Frames}) whose type byte is
 * {@link #type()}; the body is the canonical encoding below, decoded as strictly as everything else.
 */
public sealed interface WireMessage {
    /** 3: a Tx frame carries a list of transactions (2: one); a peer of another version is refused with WRONG_VERSION at its Hello. */
    int PROTOCOL_VERSION = 3;
    int NONCE_BYTES = 32;
    int MAX_PEERS_PER_MESSAGE = 1_000;
    int MAX_BLOCKS_PER_MESSAGE = 1_000;
    int MAX_REJECT_DETAIL_BYTES = 256;

    /** Frame types: the byte after a frame's magic (PROTOCOL.md, "p2p wire protocol"). */
    int HELLO = 1, AUTH = 2, PING = 3, PONG = 4, GET_PEERS = 5, PEERS = 6, TX = 7, CONSENSUS = 8, VOTES = 9, GET_BLOCKS = 10, BLOCKS = 11, REJECT = 12;

    int type();

    void encodeBody(Writer w);

    /** Message classes for rate limits and frame-size limits. */
    enum Kind { CONTROL, TRANSACTION, VOTE, BLOCK }

    Kind kind();

    /**
     * type 1: u32 version ‖ u32 chain id ‖ node key ‖ nonce(32) ‖ u64 best height ‖ u16 listen port (0 = none) ‖
     * ephemeral X25519 key(32) (version 2; {@link SecureChannel}). The only frame sent in the clear besides a Reject.
     */
    record Hello(int version, int chainId, PublicKey nodeKey, byte[] nonce, long bestHeight, int listenPort, byte[] ephemeralKey) implements WireMessage {
        public int type() { return HELLO; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) {
            w.u32(version).u32(chainId);
            nodeKey.write(w);
            w.raw(nonce).u64(bestHeight).u16(listenPort).raw(ephemeralKey);
        }
    }

    /**
     * The hash both sides of a connection compute over the two Hellos, in the order of their ephemeral keys (lower
     * first): H("TIMECOIN/handshake", u32 chain id ‖ Hello body ‖ Hello body). It fixes the channel's keys and is what
     * each side's Auth signs, so an Auth is worth nothing on any other connection or channel.
     */
    static Hash transcript(int chainId, Hello a, Hello b) {
        boolean aFirst = java.util.Arrays.compareUnsigned(a.ephemeralKey(), b.ephemeralKey()) <= 0;
        Writer w = new Writer(256);
        w.u32(chainId);
        (aFirst ? a : b).encodeBody(w);
        (aFirst ? b : a).encodeBody(w);
        return Hashes.tagged(HashTag.HANDSHAKE, w.toByteArray());
    }

    /**
     * type 2: the first sealed frame each way: a signature over H("TIMECOIN/handshake-auth", transcript ‖ signer key)
     * by the node key named in the signer's Hello.
     */
    record Auth(Signature signature) implements WireMessage {
        public int type() { return AUTH; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { signature.write(w); }

        public static Auth sign(KeyPair self, Hash transcript) {
            return new Auth(self.sign(authDigest(transcript, self.publicKey())));
        }

        public boolean valid(PublicKey signer, Hash transcript) {
            return Ed25519Keys.verify(signer, authDigest(transcript, signer), signature);
        }
    }

    static Hash authDigest(Hash transcript, PublicKey signer) {
        Writer w = new Writer(64);
        transcript.write(w);
        signer.write(w);
        return Hashes.tagged(HashTag.HANDSHAKE_AUTH, w.toByteArray());
    }

    /** type 3: u64 nonce ‖ u64 best height. */
    record Ping(long nonce, long bestHeight) implements WireMessage {
        public int type() { return PING; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { w.u64(nonce).u64(bestHeight); }
    }

    /** type 4: u64 nonce (of the ping) ‖ u64 best height. */
    record Pong(long nonce, long bestHeight) implements WireMessage {
        public int type() { return PONG; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { w.u64(nonce).u64(bestHeight); }
    }

    /** type 5: empty. */
    record GetPeers() implements WireMessage {
        public int type() { return GET_PEERS; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { }
    }

    /** type 6: list&lt;PeerAddress&gt; (at most 1,000), each signed by the node it describes. */
    record Peers(List<PeerAddress> addresses) implements WireMessage {
        public int type() { return PEERS; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { w.list(addresses, MAX_PEERS_PER_MESSAGE, (x, a) -> a.encode(x)); }
    }

    /**
     * type 7: list&lt;bytes transaction&gt;, 1 to {@link #MAX_TXS_PER_FRAME} (relay): the transactions a node had ready
     * to relay when it wrote the frame. Each is a byte string, so a receiver takes each by its own bytes — drops the
     * copies it relayed already without decoding them ({@link #transactionBytes}), relays the rest as they came.
     */
    record Txs(List<Transaction> transactions) implements WireMessage {
        public Txs {
            if (transactions.isEmpty() || transactions.size() > MAX_TXS_PER_FRAME) throw new IllegalArgumentException("1 to " + MAX_TXS_PER_FRAME + " transactions");
            transactions = List.copyOf(transactions);
        }
        public int type() { return TX; }
        public Kind kind() { return Kind.TRANSACTION; }
        public void encodeBody(Writer w) { w.raw(txsBody(transactions.stream().map(Transaction::toBytes).toList())); }
    }

    int MAX_TXS_PER_FRAME = 1_000;

    /** The body of a Txs frame around transactions encoded already (each at most {@link Limits#MAX_TX_BYTES}). */
    static byte[] txsBody(List<byte[]> transactions) {
        Writer w = new Writer(4 + transactions.stream().mapToInt(t -> 4 + t.length).sum());
        w.list(transactions, MAX_TXS_PER_FRAME, (x, t) -> x.bytes(t, Limits.MAX_TX_BYTES));
        return w.toByteArray();
    }

    /** Each transaction's bytes in a Txs body, not decoded (1 to {@link #MAX_TXS_PER_FRAME}, each within the limit). */
    static List<byte[]> transactionBytes(byte[] body) {
        List<byte[]> items = Reader.decodeExactly(body, Limits.MAX_CONSENSUS_MESSAGE_BYTES, r -> r.list(MAX_TXS_PER_FRAME, x -> x.bytes(Limits.MAX_TX_BYTES)));
        if (items.isEmpty()) throw new ProtocolException(Reason.INVALID_VALUE, "a Txs frame without transactions");
        return items;
    }

    /** type 8: a signed block-consensus message (masternode peers only). */
    record Consensus(SignedConsensusMessage message) implements WireMessage {
        public int type() { return CONSENSUS; }
        public Kind kind() { return Kind.VOTE; }
        public void encodeBody(Writer w) { message.encode(w); }
    }

    /** type 9: a signed transaction vote batch (masternode peers only). */
    record Votes(TxVoteBatch batch) implements WireMessage {
        public int type() { return VOTES; }
        public Kind kind() { return Kind.VOTE; }
        public void encodeBody(Writer w) { batch.encode(w); }
    }

    /** type 10: u64 from height ‖ u32 count (1..1,000). */
    record GetBlocks(long fromHeight, int count) implements WireMessage {
        public int type() { return GET_BLOCKS; }
        public Kind kind() { return Kind.BLOCK; }
        public void encodeBody(Writer w) { w.u64(fromHeight).u32(count); }
    }

    /** A finalized block with its commit certificate. */
    record CertifiedBlock(Block block, CommitCertificate certificate) {
        void write(Writer w) {
            block.encode(w);
            certificate.encode(w);
        }

        static CertifiedBlock read(Reader r) {
            return new CertifiedBlock(Block.read(r), CommitCertificate.read(r));
        }
    }

    /** type 11: list&lt;Block ‖ CommitCertificate&gt; in height order (at most 1,000; may be empty). */
    record Blocks(List<CertifiedBlock> blocks) implements WireMessage {
        public int type() { return BLOCKS; }
        public Kind kind() { return Kind.BLOCK; }
        public void encodeBody(Writer w) { w.list(blocks, MAX_BLOCKS_PER_MESSAGE, (x, b) -> b.write(x)); }
    }

    /** type 12: u16 reason code ‖ string detail — sent before the sender closes the connection. */
    record Reject(int code, String detail) implements WireMessage {
        public int type() { return REJECT; }
        public Kind kind() { return Kind.CONTROL; }
        public void encodeBody(Writer w) { w.u16(code).string(detail, MAX_REJECT_DETAIL_BYTES); }
    }

    static byte[] encodeBody(WireMessage m) {
        Writer w = new Writer(128);
        m.encodeBody(w);
        return w.toByteArray();
    }

    /** Decodes one frame body of the given type; the body must be consumed exactly. */
    static WireMessage decodeBody(int type, byte[] body) {
        if (type == TX) return new Txs(transactionBytes(body).stream().map(Transaction::decode).toList());
        return Reader.decodeExactly(body, Limits.MAX_CONSENSUS_MESSAGE_BYTES, r -> switch (type) {
            case HELLO -> {
                int version = r.u32InRange("version", 1, Integer.MAX_VALUE);
                int chainId = r.u32InRange("chain id", 0, Integer.MAX_VALUE);
                PublicKey key = PublicKey.read(r);
                byte[] nonce = r.raw(NONCE_BYTES);
                long height = r.u63("best height");
                int port = r.u16();
                // a version-1 Hello has no ephemeral key: decoded so that the answer is WRONG_VERSION, not MALFORMED
                yield new Hello(version, chainId, key, nonce, height, port, version >= 2 ? r.raw(SecureChannel.KEY_BYTES) : new byte[SecureChannel.KEY_BYTES]);
            }
            case AUTH -> new Auth(Signature.read(r));
            case PING -> new Ping(r.u64(), r.u63("best height"));
            case PONG -> new Pong(r.u64(), r.u63("best height"));
            case GET_PEERS -> new GetPeers();
            case PEERS -> new Peers(r.list(MAX_PEERS_PER_MESSAGE, PeerAddress::read));
            case CONSENSUS -> new Consensus(SignedConsensusMessage.read(r));
            case VOTES -> new Votes(TxVoteBatch.read(r));
            case GET_BLOCKS -> new GetBlocks(r.u63("from height"), r.u32InRange("count", 1, MAX_BLOCKS_PER_MESSAGE));
            case BLOCKS -> new Blocks(r.list(MAX_BLOCKS_PER_MESSAGE, CertifiedBlock::read));
            case REJECT -> new Reject(r.u16(), r.string(MAX_REJECT_DETAIL_BYTES));
            default -> throw new ProtocolException(Reason.UNKNOWN_TYPE, "wire message type " + type);
        });
    }
}
