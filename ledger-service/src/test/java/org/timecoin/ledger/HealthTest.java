package org.timecoin.ledger;

import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.ServiceHealthContract;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

/** The infrastructure declared here (global) serves every test class of this module: a fresh database per run. */
@QuarkusTest
@QuarkusTestResource(value = LocalInfraTestResource.class, initArgs = {@ResourceArg(name = "database", value = "test_ledger"),
        @ResourceArg(name = "fresh", value = "true")})
class HealthTest extends ServiceHealthContract {
    @Override
    protected boolean usesDatabase() {
        return true;
    }
}
