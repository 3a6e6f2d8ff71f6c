package org.timecoin.consensus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import org.timecoin.service.AppliedTip;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.consensus.core.Action;
import org.timecoin.consensus.core.Evidence;
import org.timecoin.protocol.codec.Reader;
import org.timecoin.protocol.codec.Writer;
import org.timecoin.protocol.crypto.Hash;
import org.timecoin.protocol.crypto.Hashes;
import org.timecoin.protocol.crypto.PublicKey;
import org.timecoin.protocol.model.ConsensusMessage;
import org.timecoin.protocol.model.Limits;
import org.timecoin.protocol.model.SignedConsensusMessage;

/**
 * The consensus service's state in PostgreSQL: what this validator signed, the last block its ledger announced, and
 * the evidence against other validators. {@link #save} returns only once the row is committed; the caller sends the
 * message after that. A prepared certificate is stored in its protocol encoding (ConsensusMessage.Prepared).
 */
@ApplicationScoped
public class ConsensusStore {
    private final DataSource dataSource;
    private final AppliedTip appliedTip;

    public ConsensusStore(DataSource dataSource) {
        this.dataSource = dataSource;
        this.appliedTip = new AppliedTip(dataSource);
    }

    public void save(Action.PersistSigned record) {
        ConsensusMessage m = record.message().message();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO signed_message (height, round, type, message, prepared) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setLong(1, m.height());
            ps.setInt(2, m.round());
            ps.setShort(3, (short) m.type());
            byte[] message = record.message().toBytes();
            ps.setBytes(4, message);
            ps.setBytes(5, record.prepared() == null ? null : encodePrepared(record.prepared()));
            if (ps.executeUpdate() == 0) requireSame(c, m, message);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot persist a signed message; it is not sent", e);
        }
    }

    /**
     * A row already holds (height, round, type): this instance wrote it before (a resend: same bytes, Ed25519 is
     * deterministic) or another instance running with this key did. A different message must never leave the node:
     * the database is the arbiter between two instances of one validator.
     */
    private static void requireSame(Connection c, ConsensusMessage m, byte[] message) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT message FROM signed_message WHERE height = ? AND round = ? AND type = ?")) {
            ps.setLong(1, m.height());
            ps.setInt(2, m.round());
            ps.setShort(3, (short) m.type());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && !Arrays.equals(rs.getBytes(1), message))
                    throw new ConflictingSignature("another message is already signed for height " + m.height() + ", round " + m.round()
                            + ", type " + m.type() + " (a second instance running with this validator key?); this one is not sent");
            }
        }
    }

    /** Thrown instead of sending a message that would conflict with one this validator already signed. */
    public static final class ConflictingSignature extends IllegalStateException {
        ConflictingSignature(String message) {
            super(message);
        }
    }

    public List<Action.PersistSigned> loadFrom(long minHeight) {
        return list("SELECT message, prepared FROM signed_message WHERE height >= ? ORDER BY height, round, type", minHeight, rs -> {
            byte[] prepared = rs.getBytes(2);
            return new Action.PersistSigned(SignedConsensusMessage.decode(rs.getBytes(1)), prepared == null ? null : decodePrepared(prepared));
        });
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** The rows of a query with one numeric parameter. */
    private <T> List<T> list(String sql, long parameter, Row<T> row) {
        List<T> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(row.read(rs));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read: " + sql, e);
        }
        return out;
    }

    /** Records below a finalized height can never matter again. */
    public int pruneBelow(long height) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM signed_message WHERE height < ?")) {
            ps.setLong(1, height);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot prune signed messages", e);
        }
    }

    /** Keeps the highest blocks.applied record, before its offset is committed (see {@link AppliedTip}). */
    public void saveApplied(long height, byte[] record) {
        appliedTip.save(height, record);
    }

    public Optional<byte[]> lastApplied() {
        return appliedTip.last();
    }

    /** One offence as kept: both signed records in their canonical encoding. */
    public record StoredEvidence(PublicKey offender, String kind, Hash txid, byte[] first, byte[] second) {
        static StoredEvidence of(Evidence e) {
            if (e instanceof Evidence.ConflictingVotes v) return new StoredEvidence(e.offender(), "CONFLICTING_VOTES", v.txid(), v.first().toBytes(), v.second().toBytes());
            Evidence.ConflictingMessages m = (Evidence.ConflictingMessages) e;
            return new StoredEvidence(e.offender(), "CONFLICTING_MESSAGES", null, m.first().toBytes(), m.second().toBytes());
        }
    }

    /** Keeps an offence once, and only the latest {@code keep} of them. */
    public void saveEvidence(Evidence e, int keep) {
        StoredEvidence s = StoredEvidence.of(e);
        MessageDigest d = Hashes.sha256Digest();
        d.update(s.kind().getBytes(StandardCharsets.US_ASCII));
        d.update(s.first());
        d.update(s.second());
        try (Connection c = dataSource.getConnection();
             PreparedStatement insert = c.prepareStatement("INSERT INTO evidence (proof_hash, offender, kind, txid, first, second) VALUES (?, ?, ?, ?, ?, ?) "
                     + "ON CONFLICT (proof_hash) DO NOTHING");
             PreparedStatement trim = c.prepareStatement("DELETE FROM evidence WHERE id <= (SELECT max(id) FROM evidence) - ?")) {
            insert.setBytes(1, d.digest());
            insert.setBytes(2, s.offender().toByteArray());
            insert.setString(3, s.kind());
            insert.setBytes(4, s.txid() == null ? null : s.txid().toByteArray());
            insert.setBytes(5, s.first());
            insert.setBytes(6, s.second());
            insert.executeUpdate();
            trim.setLong(1, keep);
            trim.executeUpdate();
        } catch (SQLException x) {
            throw new IllegalStateException("cannot keep evidence", x);
        }
    }

    /** The latest offences, newest first. */
    public List<StoredEvidence> evidence(int limit) {
        return list("SELECT offender, kind, txid, first, second FROM evidence ORDER BY id DESC LIMIT ?", limit, rs -> {
            byte[] txid = rs.getBytes(3);
            return new StoredEvidence(new PublicKey(rs.getBytes(1)), rs.getString(2), txid == null ? null : new Hash(txid), rs.getBytes(4), rs.getBytes(5));
        });
    }

    public long evidenceCount() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM evidence");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException x) {
            throw new IllegalStateException("cannot count evidence", x);
        }
    }

    static byte[] encodePrepared(ConsensusMessage.Prepared p) {
        Writer w = new Writer(512);
        p.write(w);
        return w.toByteArray();
    }

    static ConsensusMessage.Prepared decodePrepared(byte[] bytes) {
        return Reader.decodeExactly(bytes, Limits.MAX_SMALL_MESSAGE_BYTES, ConsensusMessage.Prepared::read);
    }
}
