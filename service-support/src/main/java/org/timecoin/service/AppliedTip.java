package org.timecoin.service;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

import javax.sql.DataSource;

/**
 * The last {@code blocks.applied} record a service has seen, kept in its own database (table {@code applied_tip}, one
 * row, created by the service's migrations) before the record's offset is committed: a service restarted while its ledger runs on gets no announcement until
 * the next block, and must know the chain's height and validator set at once. Records may arrive twice and out of
 * order across a rebalance: the highest height wins.
 */
public final class AppliedTip {
    private final DataSource dataSource;

    public AppliedTip(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void save(long height, byte[] record) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO applied_tip (id, height, record) VALUES (1, ?, ?) "
                        + "ON CONFLICT (id) DO UPDATE SET height = excluded.height, record = excluded.record WHERE applied_tip.height <= excluded.height")) {
            ps.setLong(1, height);
            ps.setBytes(2, record);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot keep the applied block", e);
        }
    }

    public Optional<byte[]> last() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT record FROM applied_tip WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the applied block", e);
        }
    }
}
