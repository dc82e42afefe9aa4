package dev.ddpm.gateway.rest;

import dev.ddpm.service.error.Problem;
import dev.ddpm.service.rest.RouteProblems;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A request target that is not valid percent-encoding ({@code /v1/models/%ZZ}) is refused with a
 * problem naming the escape: the REST layer would fail to decode it before any resource or exception
 * mapper runs and answer 400 with no body.
 */
@ApplicationScoped
public class PathEncoding {

    void install(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 2).handler(PathEncoding::check);
    }

    private static void check(RoutingContext context) {
        String target = context.request().uri();
        int bad = invalidEscape(target);
        if (bad < 0) {
            context.next();
            return;
        }
        String escape = target.substring(bad, Math.min(target.length(), bad + 3));
        RouteProblems.answer(
                context,
                Problem.of(
                        400,
                        "invalid request target",
                        "the request's path or query is not valid percent-encoding: '" + escape
                                + "' must be '%' and two hexadecimal digits"));
    }

    /** The index of the first '%' not followed by two hexadecimal digits; -1 when there is none. */
    static int invalidEscape(String target) {
        for (int i = target.indexOf('%'); i >= 0; i = target.indexOf('%', i + 1)) {
            if (i + 2 >= target.length() || !hex(target.charAt(i + 1)) || !hex(target.charAt(i + 2))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
