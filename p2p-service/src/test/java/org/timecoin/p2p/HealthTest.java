package org.timecoin.p2p;

import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.ServiceHealthContract;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class, initArgs = @ResourceArg(name = "database", value = "test_p2p"))
class HealthTest extends ServiceHealthContract {
    @Override
    protected boolean usesDatabase() {
        return true;
    }
}
