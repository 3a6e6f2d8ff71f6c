package org.timecoin.infra;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import org.junit.jupiter.api.Test;

/**
 * What every service must show against the real Kafka broker and PostgreSQL of {@link LocalInfraTestResource}: it is
 * live, it is ready only with checks for the infrastructure it uses, and it exposes Prometheus metrics. A service test
 * class extends this and says whether the service owns a database.
 */
public abstract class ServiceHealthContract {

    /** Whether this service uses PostgreSQL (its readiness must then cover it). */
    protected abstract boolean usesDatabase();

    @Test
    void livenessIsUp() {
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void readinessCoversItsInfrastructure() {
        var ready = given().when().get("/q/health/ready").then().statusCode(200)
                .body("status", is("UP"))
                .body("checks.name", hasItem("Kafka connection health check"));
        ready.body("checks.name", usesDatabase() ? hasItem("Database connections health check")
                : not(hasItem("Database connections health check")));
    }

    @Test
    void prometheusMetricsAreExposed() {
        given().when().get("/q/metrics").then().statusCode(200).body(containsString("jvm_memory_used_bytes"));
    }
}
