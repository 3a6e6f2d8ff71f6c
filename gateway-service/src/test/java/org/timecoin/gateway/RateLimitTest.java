package org.timecoin.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.timecoin.infra.LocalInfraTestResource;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

@QuarkusTest
@TestProfile(RateLimitTest.Strict.class)
@WithTestResource(LocalInfraTestResource.class)
class RateLimitTest {
    public static class Strict implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("timecoin.gateway.requests-per-second", "5");
        }
    }

    @Test
    void aClientOverItsRateGets429WithRetryAfterAndHealthIsNotLimited() {
        int limited = 0;
        Response last = null;
        for (int i = 0; i < 40; i++) {
            Response r = given().get("/v1/blocks/x");
            if (r.statusCode() == 429) {
                limited++;
                last = r;
            }
        }
        assertThat(limited).as("burst of 10, then ~5/s").isGreaterThanOrEqualTo(20);
        assertThat(last.header("Retry-After")).isEqualTo("1");
        assertThat(last.contentType()).isEqualTo("application/problem+json");
        assertThat(last.jsonPath().getString("title")).isEqualTo("RATE_LIMITED");
        for (int i = 0; i < 20; i++) assertThat(given().get("/q/health/live").statusCode()).isEqualTo(200);
    }
}
