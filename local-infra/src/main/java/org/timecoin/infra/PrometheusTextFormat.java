package org.timecoin.infra;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: what promtool's parser would refuse in a
 * scrape (a sample line with anything after its value and timestamp — an OpenMetrics exemplar —, a bad name or label,
 * an unknown TYPE, a TYPE given twice or after its samples).
 */
public final class PrometheusTextFormat {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:\\\\.|[^\"\\\\])*\"";
    private static final String VALUE = "(?:NaN|[+-]?Inf|[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)";
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME + ")(?:\\{(?:" + LABEL + "(?:," + LABEL + ")*,?)?\\})? " + VALUE + "(?: -?[0-9]+)?");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP " + NAME + "( .*)?");

    private PrometheusTextFormat() {
    }

    /** The lines a 0.0.4 parser refuses, each with its number; empty when the whole body parses. */
    public static List<String> violations(String body) {
        List<String> out = new ArrayList<>();
        Set<String> typed = new HashSet<>();
        Set<String> sampled = new HashSet<>();
        String[] lines = body.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) continue;
            if (line.startsWith("# TYPE ")) {
                var m = TYPE.matcher(line);
                if (!m.matches()) out.add((i + 1) + ": " + line);
                else if (!typed.add(m.group(1)) || sampled.contains(m.group(1))) out.add((i + 1) + ": TYPE again or after samples: " + line);
            } else if (line.startsWith("# HELP ")) {
                if (!HELP.matcher(line).matches()) out.add((i + 1) + ": " + line);
            } else if (!line.startsWith("#")) {
                var m = SAMPLE.matcher(line);
                if (!m.matches()) out.add((i + 1) + ": " + line);
                else sampled.add(baseName(m.group(1)));
            }
        }
        return out;
    }

    /** A histogram's or summary's samples belong to the family its TYPE names. */
    private static String baseName(String sample) {
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix)) return sample.substring(0, sample.length() - suffix.length());
        }
        return sample;
    }
}
