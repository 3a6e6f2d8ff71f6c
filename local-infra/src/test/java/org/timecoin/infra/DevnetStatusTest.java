package org.timecoin.infra;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bin/devnet status}: a node where nothing was submitted shows no latency, not "0 ms". */
class DevnetStatusTest {
    @Test
    void theLocalMedianIsShownOnlyWhenPaymentsWereSubmittedHere() {
        assertThat(Devnet.localP50("{\"height\":9,\"finality\":{\"transactionsFinalized\":3,\"submittedHereAndFinal\":0,\"latencyP50Millis\":0}}"))
                .isEqualTo("—");
        assertThat(Devnet.localP50("{\"height\":9,\"finality\":{\"transactionsFinalized\":3,\"submittedHereAndFinal\":3,\"latencyP50Millis\":193}}"))
                .isEqualTo("193 ms");
    }
}
