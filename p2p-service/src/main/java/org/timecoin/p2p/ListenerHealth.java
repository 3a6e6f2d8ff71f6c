package org.timecoin.p2p;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.timecoin.p2p.net.PeerNetwork;

/** Ready once the p2p port is bound (Kafka and PostgreSQL have their own checks). */
@Readiness
@ApplicationScoped
public class ListenerHealth implements HealthCheck {
    private final P2pService service;

    public ListenerHealth(P2pService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        PeerNetwork n = service.network();
        return HealthCheckResponse.named("p2p-listener").status(n != null && n.port() > 0)
                .withData("port", n == null ? 0 : n.port())
                .withData("authenticatedPeers", n == null ? 0 : n.peers().stream().filter(PeerNetwork.PeerInfo::authenticated).count()).build();
    }
}
