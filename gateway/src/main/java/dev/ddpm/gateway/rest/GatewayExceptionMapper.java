package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/** The gateway's exceptions as problem+json, written once for every resource. */
public class GatewayExceptionMapper {

    @ServerExceptionMapper
    public Response refused(GatewayException e) {
        Response.ResponseBuilder answer = Problems.builder(e.status(), e.title(), e.getMessage(),
                e.field() == null ? Map.of() : Map.of("field", e.field()));
        if (e.retryAfterSeconds() > 0) {
            answer.header("Retry-After", e.retryAfterSeconds());
        }
        return answer.build();
    }
}
