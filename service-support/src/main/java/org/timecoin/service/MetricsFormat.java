package org.timecoin.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.ext.web.Router;

/**
 * {@code /q/metrics} in the Prometheus text format (0.0.4) unless the scraper asks for OpenMetrics alone. The registry
 * answers a request without an Accept header (or with {@code *}{@code /*}) in OpenMetrics, whose exemplars
 * ({@code ... 37.0 # {span_id="..."}}) a text-format parser refuses (promtool, most agents), and refuses an Accept
 * of OpenMetrics alone (406). So: no preference gets the text format, OpenMetrics alone gets OpenMetrics with its
 * exemplars, and a list of both (as Prometheus sends) gets what the registry picks from it (the text format).
 */
@ApplicationScoped
public class MetricsFormat {
    static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text";

    void install(@Observes Router router) {
        router.route("/q/metrics").order(Integer.MIN_VALUE).handler(ctx -> {
            String accept = ctx.request().getHeader("Accept");
            if (accept == null || accept.isBlank() || accept.trim().equals("*/*")) {
                ctx.request().headers().set("Accept", TEXT_FORMAT);
            } else if (accept.contains(OPEN_METRICS) && !accept.contains("text/plain")) {
                ctx.request().headers().remove("Accept"); // the registry's default
            }
            ctx.next();
        });
    }
}
