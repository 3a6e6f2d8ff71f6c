package org.timecoin.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** The ACL table is what the services' channels read and write, and their consumer groups are named as its ACLs allow. */
class StackTopicsTest {
    static final String PREFIX = "${timecoin.topic.prefix}";

    static Properties channels(String service) throws IOException {
        Path file = Path.of(System.getProperty("user.dir")).getParent().resolve(service + "-service/src/main/resources/application.properties");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        return p;
    }

    @Test
    void eachServiceReadsAndWritesExactlyTheTopicsOfItsRow() throws IOException {
        for (StackTopics s : StackTopics.values()) {
            Properties p = channels(s.service());
            Set<String> reads = new TreeSet<>();
            Set<String> writes = new TreeSet<>();
            for (String k : p.stringPropertyNames()) {
                if (!k.endsWith(".topic")) continue;
                String topic = p.getProperty(k);
                assertThat(topic).as(s + " " + k).startsWith(PREFIX);
                String channel = k.substring(0, k.length() - ".topic".length());
                if (k.startsWith("mp.messaging.incoming.")) {
                    reads.add(topic.substring(PREFIX.length()));
                    assertThat(p.getProperty(channel + ".group.id")).as(s + " " + channel + "'s group").startsWith(PREFIX + s.service());
                } else if (k.startsWith("mp.messaging.outgoing.")) {
                    writes.add(topic.substring(PREFIX.length()));
                }
            }
            assertThat(reads).as(s + " reads").containsExactlyInAnyOrderElementsOf(s.reads);
            assertThat(writes).as(s + " writes").containsExactlyInAnyOrderElementsOf(s.writes);
        }
        assertThat(StackTopics.all()).contains("tx.submitted", "blocks.applied", "dead-letters");
    }
}
