package org.timecoin.infra;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** A real Kafka broker and a real PostgreSQL, started together (in parallel) and stopped together. */
public final class LocalInfra implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final LocalKafka kafka;
    private final LocalPostgres postgres;

    private LocalInfra(LocalKafka kafka, LocalPostgres postgres) {
        this.kafka = kafka;
        this.postgres = postgres;
    }

    public static LocalInfra start(Path dir) {
        CompletableFuture<LocalKafka> kafka = CompletableFuture.supplyAsync(() -> LocalKafka.start(dir.resolve("kafka"), START_TIMEOUT));
        CompletableFuture<LocalPostgres> postgres = CompletableFuture.supplyAsync(() -> LocalPostgres.start(dir.resolve("postgres"), START_TIMEOUT));
        try {
            return new LocalInfra(kafka.join(), postgres.join());
        } catch (CompletionException e) {
            // one failed: stop whichever did start, then report the failure
            kafka.thenAccept(LocalKafka::close);
            postgres.thenAccept(LocalPostgres::close);
            kafka.exceptionally(t -> null).join();
            postgres.exceptionally(t -> null).join();
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    public LocalKafka kafka() {
        return kafka;
    }

    public LocalPostgres postgres() {
        return postgres;
    }

    @Override
    public void close() {
        try {
            kafka.close();
        } finally {
            postgres.close();
        }
    }
}
