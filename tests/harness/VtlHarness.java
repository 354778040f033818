// Runs API Gateway mapping templates in Apache Velocity 1.7 (Debian package `velocity`), the
// engine family API Gateway uses, with the variables API Gateway documents:
//   $input.params()                 {path: {}, querystring: {...}, header: {...}} (names as sent)
//   $input.params('name')           path, then query string, then header (exact name)
//   $input.body                     the integration response body
//   $input.json('$')                that body as JSON (`{}` when it is empty)
//   $context.responseOverride.header.NAME / .status   overrides; API Gateway answers 5XX when
//                                   one is set twice, so setting one twice is an error here too
//
// Protocol (stdin, one item per line, every field hex-encoded UTF-8):
//   T <template>                                  defines template 0, 1, ...
//   C <index> <headers> <query> <body>            headers/query: "name\nvalue\n" pairs
// Output, one line per C:
//   OK <status or -> <override headers as "name\nvalue\n" pairs> <rendered text>
//   ERR <message>
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;

public class VtlHarness {
    /** A map whose entries can be set once only, like API Gateway's overrides. */
    public static class OnceMap extends LinkedHashMap<String, Object> {
        @Override
        public Object put(String key, Object value) {
            if (containsKey(key)) {
                throw new IllegalStateException("override " + key + " set twice");
            }
            return super.put(key, value);
        }

        void init(String key, Object value) {
            super.put(key, value);
        }
    }

    /** `$input`. */
    public static class Input {
        private final Map<String, Map<String, String>> params = new HashMap<>();
        private final String body;

        Input(Map<String, String> headers, Map<String, String> query, String body) {
            params.put("path", new HashMap<>());
            params.put("querystring", query);
            params.put("header", headers);
            this.body = body;
        }

        public Map<String, Map<String, String>> params() {
            return params;
        }

        public String params(String name) {
            for (String kind : new String[] {"path", "querystring", "header"}) {
                String value = params.get(kind).get(name);
                if (value != null) {
                    return value;
                }
            }
            return "";
        }

        public String getBody() {
            return body;
        }

        /** `$input.json('$')`: the whole body as JSON; `{}` for an empty body. */
        public String json(String path) {
            if (!path.equals("$")) {
                throw new IllegalArgumentException("only $input.json('$') is modelled");
            }
            return body.trim().isEmpty() ? "{}" : body.trim();
        }
    }

    static String unhex(String hex) {
        if (hex.equals("-")) {
            return "";
        }
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String hex(String text) {
        if (text.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    static Map<String, String> pairs(String text) {
        Map<String, String> map = new LinkedHashMap<>();
        String[] parts = text.split("\n", -1);
        for (int i = 0; i + 1 < parts.length; i += 2) {
            map.put(parts[i], parts[i + 1]);
        }
        return map;
    }

    public static void main(String[] args) throws Exception {
        VelocityEngine engine = new VelocityEngine();
        engine.setProperty(
                "runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        engine.init();
        List<String> templates = new ArrayList<>();
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" ", -1);
            if (f[0].equals("T")) {
                templates.add(unhex(f[1]));
                continue;
            }
            String template = templates.get(Integer.parseInt(f[1]));
            OnceMap headers = new OnceMap();
            OnceMap override = new OnceMap();
            override.init("header", headers);
            Map<String, Object> context = new HashMap<>();
            context.put("responseOverride", override);
            context.put("requestId", "00000000-0000-0000-0000-000000000000");
            VelocityContext vc = new VelocityContext();
            vc.put("context", context);
            vc.put("input", new Input(pairs(unhex(f[2])), pairs(unhex(f[3])), unhex(f[4])));
            StringWriter rendered = new StringWriter();
            try {
                engine.evaluate(vc, rendered, "mapping-template", template);
            } catch (Exception e) {
                Throwable cause = e;
                while (cause.getCause() != null) {
                    cause = cause.getCause();
                }
                out.append("ERR ").append(hex(String.valueOf(cause.getMessage()))).append('\n');
                continue;
            }
            StringBuilder set = new StringBuilder();
            for (Map.Entry<String, Object> h : headers.entrySet()) {
                set.append(h.getKey()).append('\n').append(String.valueOf(h.getValue())).append('\n');
            }
            Object status = override.get("status");
            out.append("OK ")
                    .append(status == null ? "-" : String.valueOf(status))
                    .append(' ')
                    .append(hex(set.toString()))
                    .append(' ')
                    .append(hex(rendered.toString()))
                    .append('\n');
        }
        System.out.print(out);
    }
}
