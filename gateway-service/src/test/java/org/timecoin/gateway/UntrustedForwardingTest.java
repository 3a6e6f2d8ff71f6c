package org.timecoin.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfraTestResource;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Forwarded headers from an address that is not a trusted proxy are ignored: a client cannot name itself a fresh bucket. */
@QuarkusTest
@TestProfile(UntrustedForwardingTest.OtherProxy.class)
@WithTestResource(LocalInfraTestResource.class)
class UntrustedForwardingTest {
    public static class OtherProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("timecoin.gateway.requests-per-second", "5", "quarkus.http.proxy.proxy-address-forwarding", "true",
                    "quarkus.http.proxy.allow-x-forwarded", "true", "quarkus.http.proxy.trusted-proxies", "10.9.9.9");
        }
    }

    @Test
    void aClientNamingANewAddressInEachRequestStillSharesItsBucket() {
        int limited = 0;
        for (int i = 0; i < 30; i++) {
            if (ClientLimitsTest.from("198.51.100." + i).statusCode() == 429) limited++;
        }
        assertThat(limited).as("one bucket for 127.0.0.1: burst of 10, then ~5/s").isGreaterThanOrEqualTo(15);
    }
}
