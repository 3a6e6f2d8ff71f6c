package org.timecoin.gateway;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.timecoin.protocol.rules.RejectReason;
import org.timecoin.service.Problems;

/**
 * The error half of the API contract, written once for every operation: each documents the problem+json answers it
 * can give (RFC 9457, schema {@code Problem}, whose {@code title} is the stable code a client branches on), the tags
 * say what they group, and the document names its server. Annotations describe each operation's success; what every
 * operation shares lives here rather than on each of them (a contract test holds every operation to it).
 */
public class ProblemResponsesFilter implements OASFilter {
    static final String PROBLEM = "Problem";

    private static final Map<String, String> TAGS = Map.of(
            "transactions", "Submit signed transactions, read their status and wait for their finality",
            "addresses", "Balances, spendable outputs and history of an address",
            "blocks", "Blocks and their commit certificates",
            "node", "This masternode: chain state, masternodes, peers, mempool and the live event stream",
            "json-rpc", "JSON-RPC 2.0 with the original project's method names");

    @Override
    public void filterOpenAPI(OpenAPI api) {
        if (api.getComponents() == null) api.setComponents(OASFactory.createComponents());
        Components components = api.getComponents();
        components.addSchema(PROBLEM, problemSchema());
        if (api.getServers() == null || api.getServers().isEmpty()) {
            api.addServer(OASFactory.createServer().url("/").description("this gateway (every masternode serves the same API)"));
        }
        if (api.getInfo() != null && api.getInfo().getDescription() == null) {
            api.getInfo().description("The public REST API of a TimeCoin masternode. Amounts are integers in sat; every error is "
                    + "application/problem+json whose title is a stable code. No operation needs credentials: limits are per client address.");
        }
        if (api.getInfo() != null && api.getInfo().getContact() == null) {
            api.getInfo().contact(OASFactory.createContact().name("TimeCoin").url("https://timecoin.org"));
        }
        api.setTags(null);
        TAGS.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(t -> api.addTag(OASFactory.createTag().name(t.getKey()).description(t.getValue())));
        if (api.getPaths() == null || api.getPaths().getPathItems() == null) return;
        for (Map.Entry<String, PathItem> path : api.getPaths().getPathItems().entrySet()) {
            for (Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().getOperations().entrySet()) {
                addProblems(path.getKey(), op.getKey(), op.getValue());
            }
        }
    }

    private static void addProblems(String path, PathItem.HttpMethod method, Operation op) {
        if (op.getSecurity() == null) op.setSecurity(new java.util.ArrayList<>()); // public: no credentials, said explicitly
        APIResponses responses = op.getResponses() == null ? OASFactory.createAPIResponses() : op.getResponses();
        op.setResponses(responses);
        boolean takesInput = op.getRequestBody() != null || op.getParameters() != null && !op.getParameters().isEmpty();
        boolean byId = op.getParameters() != null && op.getParameters().stream().anyMatch(p -> p.getIn() == Parameter.In.PATH);
        if (takesInput) problem(responses, "400", "The input is malformed: INVALID_VALUE, MISSING_FIELD, INVALID_BODY, or an encoding's reason (TRUNCATED, TRAILING_BYTES, ...)");
        if (byId) problem(responses, "404", "Nothing has this id: UNKNOWN_TRANSACTION, NOT_FOUND");
        if (op.getRequestBody() != null) problem(responses, "413", "BODY_TOO_LARGE: the body is over the gateway's limit");
        if (path.equals("/v1/transactions") && method == PathItem.HttpMethod.POST) {
            problem(responses, "422", "The transaction breaks a protocol rule; the title is its reason code (" + String.join(", ", rejectCodes()) + ")");
        }
        problem(responses, "429", "RATE_LIMITED (this client's requests per second) or TOO_MANY_WAITERS (its share of finality waits): retry after Retry-After");
        problem(responses, "503", "SERVICE_UNAVAILABLE (a service of this stack is down), MEMPOOL_FULL (retry after Retry-After), TOO_MANY_WAITERS (this gateway's waits)");
        problem(responses, "500", "INTERNAL: a fault of this node, not of the request");
    }

    private static List<String> rejectCodes() {
        return java.util.Arrays.stream(RejectReason.values()).map(Enum::name).toList();
    }

    private static void problem(APIResponses responses, String status, String description) {
        if (responses.hasAPIResponse(status)) return;
        responses.addAPIResponse(status, OASFactory.createAPIResponse().description(description)
                .content(OASFactory.createContent().addMediaType(Problems.MEDIA_TYPE,
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref("#/components/schemas/" + PROBLEM)))));
    }

    private static Schema problemSchema() {
        return OASFactory.createSchema().type(List.of(Schema.SchemaType.OBJECT))
                .description("RFC 9457 problem details; clients branch on title (a stable code), never on detail")
                .addProperty("type", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).format("uri")
                        .description("https://timecoin.org/problems/<code in kebab case>"))
                .addProperty("title", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
                        .description("the stable code, e.g. INPUT_SPENT, MEMPOOL_FULL, RATE_LIMITED"))
                .addProperty("status", OASFactory.createSchema().type(List.of(Schema.SchemaType.INTEGER)).format("int32"))
                .addProperty("detail", OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).description("for people; may change"))
                .required(List.of("type", "title", "status"));
    }
}
