package org.timecoin.p2p;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;

import org.timecoin.p2p.core.AddressBook;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.model.PeerAddress;
import org.timecoin.service.AppliedTip;

/** The p2p service's PostgreSQL state: the address book and the last applied-block record. JDBC, worker threads only. */
@ApplicationScoped
public class P2pStore {
    private final DataSource dataSource;
    private final AppliedTip appliedTip;

    public P2pStore(DataSource dataSource) {
        this.dataSource = dataSource;
        this.appliedTip = new AppliedTip(dataSource);
    }

    public List<PeerAddress> addresses() {
        List<PeerAddress> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT address FROM peer_address");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                try {
                    out.add(PeerAddress.decode(rs.getBytes(1)));
                } catch (ProtocolException e) {
                    // a row from an incompatible version: skipped, rediscovered from peers
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the stored signed addresses with the book's, in one transaction. */
    public void saveAddresses(Collection<AddressBook.Entry> entries) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM peer_address");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO peer_address (node_key, address, failures) VALUES (?, ?, ?)")) {
                del.executeUpdate();
                for (AddressBook.Entry e : entries) {
                    if (e.signed() == null) continue;
                    ins.setBytes(1, e.signed().nodeKey().toByteArray());
                    ins.setBytes(2, e.signed().toBytes());
                    ins.setInt(3, e.failures());
                    ins.addBatch();
                }
                ins.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Keeps the highest blocks.applied record, before its offset is committed (see {@link AppliedTip}). */
    public void saveApplied(long height, byte[] record) {
        appliedTip.save(height, record);
    }

    public Optional<byte[]> lastApplied() {
        return appliedTip.last();
    }
}
