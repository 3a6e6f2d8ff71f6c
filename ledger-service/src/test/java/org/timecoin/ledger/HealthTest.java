package org.timecoin.ledger;

import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.ServiceHealthContract;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

/** A fresh database per run, shared with the other test classes that declare the same resource. */
@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class, initArgs = {@ResourceArg(name = "database", value = "test_ledger"),
        @ResourceArg(name = "fresh", value = "true")})
class HealthTest extends ServiceHealthContract {
    @Override
    protected boolean usesDatabase() {
        return true;
    }
}
