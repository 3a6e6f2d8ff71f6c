package org.timecoin.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The stored codes of the two state enums: distinct, read back as written, and the ones the migrations' partial indexes name. */
class StatesTest {
    static String migration(String name) throws IOException {
        return Files.readString(Path.of("src/main/resources/db/migration", name));
    }

    @Test
    void eachCodeReadsBackAsItsStateAndTheIndexesNameTheSameCodes() throws IOException {
        for (UtxoState s : UtxoState.values()) assertThat(UtxoState.of(s.code)).isEqualTo(s);
        for (TxState s : TxState.values()) assertThat(TxState.of(s.code)).isEqualTo(s);
        assertThat(Arrays.stream(UtxoState.values()).mapToInt(s -> s.code).distinct().count()).isEqualTo(UtxoState.values().length);
        assertThat(Arrays.stream(TxState.values()).mapToInt(s -> s.code).distinct().count()).isEqualTo(TxState.values().length);
        assertThatThrownBy(() -> UtxoState.of(2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(migration("V1__ledger.sql")).contains("utxo_locked ON utxo (locked_at) WHERE state = " + UtxoState.LOCKED.code + ";");
        assertThat(migration("V2__pending_index.sql")).contains("WHERE status = " + TxState.PENDING.code + ";");
        assertThat(migration("V4__archive_oldest_first.sql")).contains("WHERE status = " + TxState.FINAL.code + ";");
        assertThat(migration("V3__tracked_supply.sql")).contains("state <> " + UtxoState.SPENT_CONFIRMED.code + ")");
    }
}
