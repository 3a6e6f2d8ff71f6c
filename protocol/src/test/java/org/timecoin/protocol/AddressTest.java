package org.timecoin.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.timecoin.protocol.CodecTest.reasonOf;

import org.junit.jupiter.api.Test;
import org.timecoin.protocol.codec.ProtocolException.Reason;
import org.timecoin.protocol.model.Address;
import org.timecoin.protocol.model.Network;

class AddressTest {
    private final Address mainnet = Address.of(Network.MAINNET, Fixtures.key("addr", 0).keyHash());

    @Test
    void roundTripsAndKnowsItsNetwork() {
        String text = mainnet.toString();
        assertThat(text).startsWith("TIME1");
        assertThat(Address.parse(text)).isEqualTo(mainnet);
        assertThat(Address.parse(text).belongsTo(Network.MAINNET)).isTrue();
        assertThat(Address.parse(text).belongsTo(Network.TESTNET)).isFalse();
    }

    @Test
    void everySingleCharacterTypoIsCaught() {
        String text = mainnet.toString();
        String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        for (int i = 4; i < text.length(); i++) {
            for (char c : alphabet.toCharArray()) {
                if (c == text.charAt(i)) continue;
                String typo = text.substring(0, i) + c + text.substring(i + 1);
                assertThat(reasonOf(() -> Address.parse(typo))).as(typo).isEqualTo(Reason.INVALID_ADDRESS);
            }
        }
    }

    @Test
    void badShapesAreRejected() {
        for (String bad : new String[] {"", "TIME", "XIME1abc", "TIME2" + mainnet.toString().substring(5), mainnet + "1",
                mainnet.toString().replace('T', 't'), "TIME10OIl"}) {
            assertThat(reasonOf(() -> Address.parse(bad))).as(bad).isEqualTo(Reason.INVALID_ADDRESS);
        }
    }
}
