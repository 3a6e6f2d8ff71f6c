package org.timecoin.p2p;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;
import org.timecoin.p2p.core.AddressBook;
import org.timecoin.p2p.net.P2pConfig;
import org.timecoin.service.KeyedRecords;
import org.timecoin.service.NodeIdentity;
import org.timecoin.service.RecordRejections;
import org.timecoin.p2p.net.PeerNetwork;
import org.timecoin.protocol.codec.ProtocolException;
import org.timecoin.protocol.model.Block;
import org.timecoin.protocol.model.CommitCertificate;
import org.timecoin.protocol.model.Network;
import org.timecoin.protocol.model.SignedConsensusMessage;
import org.timecoin.protocol.model.Transaction;
import org.timecoin.protocol.model.TxVoteBatch;
import org.timecoin.protocol.stack.StackRecords;
import org.timecoin.protocol.wire.Frames;
import org.timecoin.protocol.wire.WireMessage.Kind;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.Vertx;

/**
 * Bridges the masternode network and this stack's topics: peers' transactions → tx.submitted, peers' consensus
 * traffic and synced blocks → consensus.in; consensus.out and tx.submitted → peers; blocks.applied → our height and
 * the validator set (who may send consensus traffic), persisted so a restart knows them before the next block.
 */
@ApplicationScoped
public class P2pService implements PeerNetwork.Stack {
    private static final Logger LOG = Logger.getLogger(P2pService.class);

    private final P2pStore store;
    private final Emitter<byte[]> consensusIn;
    private final Emitter<byte[]> txSubmitted;
    private final MeterRegistry registry;
    private final P2pSettings settings;
    private final Network network;
    private final NodeIdentity identity;
    private final RecordRejections rejections;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService persistence = Executors.newSingleThreadExecutor(r -> new Thread(r, "p2p-persistence"));
    private final CompletableFuture<PeerNetwork> started = new CompletableFuture<>();
    private volatile PeerNetwork network0;

    public P2pService(P2pStore store, @Channel("consensus-in") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 100_000) Emitter<byte[]> consensusIn, @Channel("tx-submitted-out") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 100_000) Emitter<byte[]> txSubmitted,
                      MeterRegistry registry, P2pSettings settings, NodeIdentity identity, @Channel("dead-letters") Emitter<byte[]> deadLetters) {
        this.store = store;
        this.consensusIn = consensusIn;
        this.txSubmitted = txSubmitted;
        this.registry = registry;
        this.settings = settings;
        this.network = identity.network();
        this.identity = identity;
        this.rejections = new RecordRejections("p2p", registry, deadLetters);
    }

    void start(@Observes StartupEvent ev, Vertx vertx) {
        P2pConfig config = P2pConfig.builder(network).listenHost(settings.listenHost()).listenPort(settings.port()).advertisedHost(settings.advertisedHost())
                .seeds(settings.seeds().orElse(List.of())).targetOutbound(settings.targetOutbound()).maxInbound(settings.maxInbound())
                .maxPerIp(settings.maxConnectionsPerIp()).handshakesPerIpPerSecond(settings.handshakesPerIpPerSecond())
                .frameLimits(new Frames.SizeLimits(settings.maxSmallFrameBytes(), settings.maxLargeFrameBytes()))
                .handshakeTimeoutMillis(settings.handshakeTimeoutMillis()).pingIntervalMillis(settings.pingIntervalMillis()).deadAfterMillis(settings.deadAfterMillis())
                .ratesPerSecond(Map.of(Kind.TRANSACTION, settings.txPerSecond(), Kind.VOTE, settings.votesPerSecond(), Kind.BLOCK, settings.blocksPerSecond(),
                        Kind.CONTROL, settings.controlPerSecond()))
                .banThreshold(settings.banThreshold()).banMillis(settings.banMillis()).backoffBaseMillis(settings.reconnectBaseMillis())
                .backoffMaxMillis(settings.reconnectMaxMillis()).discoveryIntervalMillis(settings.discoveryIntervalMillis()).syncBatch(settings.syncBatch())
                .syncWindow(settings.syncWindow()).syncTimeoutMillis(settings.syncTimeoutMillis()).syncServeBytesPerSecond(settings.syncServeBytesPerSecond())
                .seenCapacity(settings.seenCapacity()).addressBookCapacity(settings.addressBookCapacity()).ipBanExempt(settings.ipBanExempt()).build();
        PeerNetwork net = new PeerNetwork(config, identity.key(), this, registry, store.addresses());
        vertx.deployVerticle(net).toCompletionStage().toCompletableFuture().join();
        // a record the consumer delivers later with a higher height wins (blockApplied keeps the highest)
        store.lastApplied().ifPresent(bytes -> {
            try {
                StackRecords.BlockApplied a = StackRecords.decodeBlockApplied(bytes);
                net.blockApplied(a.height(), a.nextSet());
            } catch (ProtocolException e) { // written by an older version: the ledger's next blocks.applied replaces it
                LOG.warnf("stored last applied block not readable (%s); waiting for the ledger's next one", e.getMessage());
            }
        });
        network0 = net;
        started.complete(net);
    }

    public PeerNetwork network() {
        return network0;
    }

    /** Consumers may start before the StartupEvent observer has finished. */
    private PeerNetwork await() {
        return started.join();
    }

    private void applied(StackRecords.BlockApplied a) {
        PeerNetwork n = network0;
        if (n != null) n.blockApplied(a.height(), a.nextSet());
    }

    // ---- topics → peers ----

    @Incoming("consensus-out")
    @Blocking
    public void onConsensusOut(byte[] value) {
        StackRecords.PeerTraffic t;
        try {
            t = StackRecords.decodePeerTraffic(value);
        } catch (ProtocolException e) {
            rejections.park("consensus.out", e.reason().name(), value);
            return;
        }
        PeerNetwork n = await();
        if (t instanceof StackRecords.ConsensusMsg m) n.broadcastConsensus(m.message());
        else if (t instanceof StackRecords.Votes v) n.broadcastVotes(v.batch());
        else if (t instanceof StackRecords.SyncRequest s) n.syncRequested(s.fromHeight());
        else rejections.park("consensus.out", "UNEXPECTED_KIND", value);
    }

    /**
     * One poll of the stack's transactions (batch mode: one hop onto the network's event loop for all of them). The
     * records this service wrote itself (peers' transactions, queued for relay as they came) are skipped undecoded.
     */
    @Incoming("tx-submitted-in")
    @Blocking
    public void onSubmitted(ConsumerRecords<byte[], byte[]> poll) {
        List<Transaction> txs = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : poll) {
            if (record.headers().lastHeader(FROM_PEERS_HEADER) != null) continue;
            try {
                txs.add(Transaction.decode(record.value()));
            } catch (ProtocolException e) {
                rejections.drop("tx.submitted", e.reason().name()); // the ledger, which reads it too, parks it
            }
        }
        if (!txs.isEmpty()) await().relayTransactions(txs);
    }

    /** Marks the tx.submitted records of peers' transactions, which this service relayed already. */
    static final String FROM_PEERS_HEADER = "timecoin-from-peers";

    @Incoming("blocks-applied")
    @Blocking
    public void onBlockApplied(byte[] value) {
        StackRecords.BlockApplied a;
        try {
            a = StackRecords.decodeBlockApplied(value);
        } catch (ProtocolException e) {
            rejections.park("blocks.applied", e.reason().name(), value);
            return;
        }
        store.saveApplied(a.height(), value); // before the offset is committed: a restart knows the validator set
        await();
        applied(a);
    }

    // ---- peers → topics (called on the network's event loop: nothing here blocks) ----

    @Override
    public void transaction(Transaction tx) {
        txSubmitted.send(Message.of(tx.toBytes()).addMetadata(OutgoingKafkaRecordMetadata.<byte[]>builder().withKey(tx.txid().toByteArray())
                .withHeaders(new RecordHeaders().add(FROM_PEERS_HEADER, new byte[] {1})).build()));
    }

    @Override
    public void consensus(SignedConsensusMessage message) {
        KeyedRecords.send(consensusIn, StackRecords.heightKey(message.message().height()), StackRecords.encode(new StackRecords.ConsensusMsg(message)));
    }

    @Override
    public void votes(TxVoteBatch batch) {
        KeyedRecords.send(consensusIn, StackRecords.heightKey(batch.validatorSetHeight()), StackRecords.encode(new StackRecords.Votes(batch)));
    }

    @Override
    public void syncedBlock(Block block, CommitCertificate certificate) {
        KeyedRecords.send(consensusIn, StackRecords.heightKey(block.height()), StackRecords.encode(new StackRecords.SyncedBlock(block, certificate)));
    }

    @Override
    public CompletionStage<byte[]> certifiedBlocks(long fromHeight, int count) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.ledgerUrl() + "/v1/ledger/blocks/certified?from=" + fromHeight + "&limit=" + count))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenCompose(r -> r.statusCode() == 200
                ? CompletableFuture.completedFuture(r.body())
                : CompletableFuture.failedFuture(new IllegalStateException("ledger answered " + r.statusCode())));
    }

    @Override
    public void addressBookChanged(Collection<AddressBook.Entry> entries) {
        persistence.execute(() -> {
            try {
                store.saveAddresses(entries);
            } catch (RuntimeException e) {
                LOG.warnf("address book not saved (kept in memory, saved on the next change): %s", e.getMessage());
            }
        });
    }

    @PreDestroy
    void stop() {
        persistence.shutdown();
    }

}
