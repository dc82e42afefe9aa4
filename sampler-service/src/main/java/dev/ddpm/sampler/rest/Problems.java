package dev.ddpm.sampler.rest;

import dev.ddpm.core.json.Json;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/** RFC 9457 problem+json answers. */
final class Problems {

    static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    static Response problem(int status, String title, String detail) {
        return builder(status, title, detail, Map.of()).build();
    }

    static Response.ResponseBuilder builder(int status, String title, String detail, Map<String, Object> extra) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        problem.putAll(extra);
        return Response.status(status).type(MEDIA_TYPE).entity(Json.write(problem));
    }
}
