package org.timecoin.gateway;

import org.timecoin.infra.LocalInfraTestResource;
import org.timecoin.infra.ServiceHealthContract;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = LocalInfraTestResource.class)
class HealthTest extends ServiceHealthContract {
    @Override
    protected boolean usesDatabase() {
        return false;
    }
}
