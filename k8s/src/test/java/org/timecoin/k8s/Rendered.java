package org.timecoin.k8s;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * One overlay rendered by kustomize (through {@code kubectl kustomize}, which embeds it), as JSON trees, plus the
 * offline schema validator ({@code schema/validate.cjs} on Node.js). Both tools are on the build image; their absence is
 * a failure with the reason, never a skipped check.
 */
final class Rendered {
    static final Path MODULE = Path.of(System.getProperty("user.dir"));
    static final Path ROOT = MODULE.getParent();
    static final ObjectMapper JSON = new ObjectMapper();

    final String overlay;
    final List<JsonNode> objects;

    private Rendered(String overlay, List<JsonNode> objects) {
        this.overlay = overlay;
        this.objects = objects;
    }

    static Rendered overlay(String name) {
        String yaml = run(List.of("kubectl", "kustomize", MODULE.resolve("overlays").resolve(name).toString()), null);
        try {
            YAMLMapper mapper = new YAMLMapper(new YAMLFactory());
            List<JsonNode> objects = new ArrayList<>();
            try (var parser = mapper.getFactory().createParser(yaml)) {
                for (var it = mapper.readValues(parser, JsonNode.class); it.hasNext(); ) {
                    JsonNode n = it.next();
                    if (n != null && !n.isNull() && !n.isEmpty()) objects.add(n);
                }
            }
            return new Rendered(name, List.copyOf(objects));
        } catch (IOException e) {
            throw new UncheckedIOException("kustomize output of " + name + " is not YAML", e);
        }
    }

    /** Schema errors per object, in input order: "Kind/name: error" (an unknown kind is an error too). */
    static List<String> schemaErrors(List<JsonNode> objects) {
        ArrayNode input = JSON.createArrayNode();
        objects.forEach(input::add);
        String out = run(List.of("node", MODULE.resolve("schema/validate.cjs").toString()), input.toString());
        try {
            JsonNode results = JSON.readTree(out);
            if (results.size() != objects.size()) throw new AssertionError("validator answered for " + results.size() + " of " + objects.size() + " objects");
            List<String> errors = new ArrayList<>();
            for (JsonNode r : results)
                for (JsonNode e : r.path("errors")) errors.add(r.path("kind").asText() + "/" + r.path("name").asText() + ": " + e.asText());
            return errors;
        } catch (IOException e) {
            throw new UncheckedIOException("validator output is not JSON: " + out, e);
        }
    }

    List<JsonNode> ofKind(String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return ofKind(kind).stream().filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(overlay + " renders no " + kind + " " + name));
    }

    /** The shared ConfigMap's value of a key. */
    String config(String key) {
        JsonNode v = get("ConfigMap", "timecoin-config").path("data").path(key);
        if (v.isMissingNode()) throw new AssertionError(overlay + ": timecoin-config has no " + key);
        return v.asText();
    }

    static JsonNode container(JsonNode deployment) {
        return deployment.path("spec").path("template").path("spec").path("containers").get(0);
    }

    static Optional<JsonNode> env(JsonNode container, String name) {
        return stream(container.path("env")).filter(e -> e.path("name").asText().equals(name)).findFirst();
    }

    static int containerPort(JsonNode container, String portName) {
        return stream(container.path("ports")).filter(p -> p.path("name").asText().equals(portName)).findFirst()
                .orElseThrow(() -> new AssertionError("no port named " + portName + " in " + container.path("name").asText()))
                .path("containerPort").asInt();
    }

    static java.util.stream.Stream<JsonNode> stream(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false);
    }

    /** A service's packaged configuration (src/main/resources/application.properties). */
    static Properties serviceProperties(String service) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(ROOT.resolve(service + "-service/src/main/resources/application.properties"))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    static String run(List<String> command, String stdin) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                p.getOutputStream().close();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errReader = new Thread(() -> copy(p.getErrorStream(), err));
            errReader.start();
            copy(p.getInputStream(), out);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish in 120 s");
            }
            errReader.join();
            if (p.exitValue() != 0) throw new AssertionError(command + " failed (" + p.exitValue() + "): " + err.toString(StandardCharsets.UTF_8));
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (it is on the build image: kubectl embeds kustomize, node runs"
                    + " the schema validator): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
