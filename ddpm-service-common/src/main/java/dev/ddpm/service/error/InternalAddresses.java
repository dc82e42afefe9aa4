package dev.ddpm.service.error;

import java.util.regex.Pattern;

/**
 * Takes the addresses of a deployment's own servers (the object store's endpoint, a sampler's
 * host:port, a broker) out of text meant for its clients: what failed stays said, where it runs is
 * for the logs. URLs and IP addresses go from every message; in a failure of the service's own
 * (5xx), any {@code host:port} too, since a client's input is not echoed there.
 */
public final class InternalAddresses {

    static final String REPLACEMENT = "<internal>";

    private static final Pattern URL = Pattern.compile("\\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\\s,;'\")]+");
    private static final Pattern IP =
            Pattern.compile("(?:[\\w.-]*/)?(?:\\b\\d{1,3}(?:\\.\\d{1,3}){3}\\b|\\[[0-9a-fA-F:]+\\])(?::\\d{1,5}\\b)?");
    private static final Pattern HOST_PORT = Pattern.compile("\\b[a-zA-Z][\\w.-]*:\\d{2,5}\\b");
    private static final Pattern RESOLVED_HOST = Pattern.compile("(?i)(resolve (?:host|name) )\\S+");

    private InternalAddresses() {}

    /** {@code text} without addresses, each replaced by {@value #REPLACEMENT}; null stays null. */
    public static String scrub(String text, int status) {
        if (text == null) {
            return null;
        }
        String scrubbed = IP.matcher(URL.matcher(text).replaceAll(REPLACEMENT)).replaceAll(REPLACEMENT);
        if (status >= 500) {
            scrubbed = HOST_PORT.matcher(scrubbed).replaceAll(REPLACEMENT);
            scrubbed = RESOLVED_HOST.matcher(scrubbed).replaceAll("$1" + REPLACEMENT);
        }
        return scrubbed;
    }
}
