package org.timecoin.p2p;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.timecoin.p2p.net.PeerNetwork;

/** Operators' view of the network: this node's key and port, and each connected peer. */
@Path("/v1/p2p")
@Produces(MediaType.APPLICATION_JSON)
public class PeersResource {
    public record NodeView(String nodeKey, int port, List<PeerNetwork.PeerInfo> peers, java.util.Map<String, Long> lastSeen) {
    }

    private final P2pService service;

    public PeersResource(P2pService service) {
        this.service = service;
    }

    @GET
    @Path("/peers")
    public NodeView peers() {
        PeerNetwork n = service.network();
        return n == null ? new NodeView(null, 0, List.of(), java.util.Map.of()) : new NodeView(n.key().hex(), n.port(), n.peers(), n.lastSeen());
    }
}
