package org.timecoin.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.PrimitiveIterator;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void aPortTheOsOffersAgainIsNotHandedOutTwice() {
        // an OS that offers the port it just closed once more, as it did for a broker's two listeners
        PrimitiveIterator.OfInt offers = IntStream.of(61_001, 61_001, 61_002).iterator();
        assertThat(FreePorts.pick(offers::nextInt)).isEqualTo(61_001);
        assertThat(FreePorts.pick(offers::nextInt)).isEqualTo(61_002);
    }

    @Test
    void anOsThatOffersOnlyPortsAlreadyGivenIsAnErrorNotALoop() {
        assertThat(FreePorts.pick(() -> 61_010)).isEqualTo(61_010);
        assertThatThrownBy(() -> FreePorts.pick(() -> 61_010)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void realPicksAreDistinctLoopbackPorts() {
        assertThat(IntStream.range(0, 50).map(i -> FreePorts.pick()).distinct().count()).isEqualTo(50);
    }
}
