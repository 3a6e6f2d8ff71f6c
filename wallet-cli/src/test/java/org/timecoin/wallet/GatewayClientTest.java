package org.timecoin.wallet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/** The wallet's answer to a busy node: it asks again when told when (Retry-After), and only then. */
class GatewayClientTest {
    record Answer(int status, String retryAfter, String body) {}

    final Deque<Answer> answers = new ArrayDeque<>();
    final AtomicInteger requests = new AtomicInteger();
    HttpServer gateway;
    GatewayClient client;

    @BeforeEach
    void start() throws Exception {
        gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/v1/transactions", x -> {
            requests.incrementAndGet();
            Answer a;
            synchronized (answers) {
                a = answers.size() > 1 ? answers.poll() : answers.peek();
            }
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", a.status() >= 400 ? "application/problem+json" : "application/json");
            if (a.retryAfter() != null) x.getResponseHeaders().add("Retry-After", a.retryAfter());
            x.sendResponseHeaders(a.status(), body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        gateway.start();
        client = new GatewayClient("http://127.0.0.1:" + gateway.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        gateway.stop(0);
    }

    static Answer full(String retryAfter) {
        return new Answer(503, retryAfter, "{\"title\":\"MEMPOOL_FULL\",\"status\":503,\"detail\":\"retry in a moment\"}");
    }

    @Test
    void aFullMempoolOrARateLimitWithRetryAfterIsAskedAgainUntilAdmitted() throws Exception {
        answers.add(full("0"));
        answers.add(new Answer(429, "0", "{\"title\":\"RATE_LIMITED\",\"status\":429}"));
        answers.add(new Answer(202, null, "{\"txid\":\"ab\",\"status\":\"SUBMITTED\"}"));
        assertThat(client.post("/v1/transactions", Map.of("hex", "00")).path("status").asText()).isEqualTo("SUBMITTED");
        assertThat(requests).hasValue(3);
    }

    @Test
    void aNodeThatStaysFullIsAskedAtMostMaxAttemptsTimesAndItsAnswerStands() {
        answers.add(full("0"));
        assertThatThrownBy(() -> client.post("/v1/transactions", Map.of("hex", "00"))).isInstanceOf(GatewayClient.ApiError.class)
                .hasMessageStartingWith("MEMPOOL_FULL");
        assertThat(requests).hasValue(GatewayClient.MAX_ATTEMPTS);
    }

    @Test
    void withoutRetryAfterOrForARefusedTransactionTheFirstAnswerStands() {
        answers.add(new Answer(503, null, "{\"title\":\"LEDGER_UNAVAILABLE\",\"status\":503}"));
        assertThatThrownBy(() -> client.post("/v1/transactions", Map.of("hex", "00"))).hasMessageStartingWith("LEDGER_UNAVAILABLE");
        assertThat(requests).hasValue(1);
        answers.clear();
        answers.add(new Answer(422, "0", "{\"title\":\"BAD_SIGNATURE\",\"status\":422}"));
        assertThatThrownBy(() -> client.post("/v1/transactions", Map.of("hex", "00"))).hasMessageStartingWith("BAD_SIGNATURE");
        assertThat(requests).hasValue(2);
    }
}
