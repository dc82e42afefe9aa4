package dev.ddpm.service.rest;

import dev.ddpm.core.json.Json;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/** RFC 9457 problem+json answers: every error the gateway gives has this shape. */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {
    }

    public static Response problem(int status, String title, String detail) {
        return builder(status, title, detail).build();
    }

    public static Response.ResponseBuilder builder(int status, String title, String detail) {
        return builder(status, title, detail, Map.of());
    }

    /** 400 for a body that failed strict binding; {@code field} names the culprit when one is. */
    public static Response invalid(String title, dev.ddpm.core.json.InvalidPayloadException e) {
        return builder(400, title, e.getMessage(), e.field() == null ? Map.of() : Map.of("field", e.field())).build();
    }

    public static Response.ResponseBuilder builder(int status, String title, String detail, Map<String, Object> extra) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        problem.putAll(extra);
        return Response.status(status).type(MEDIA_TYPE).entity(Json.write(problem));
    }
}
