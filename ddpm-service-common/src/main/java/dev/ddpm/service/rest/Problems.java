package dev.ddpm.service.rest;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.service.error.Problem;
import jakarta.ws.rs.core.Response;

/** RFC 9457 problem+json answers: every HTTP error of every service has this shape. */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    private Problems() {}

    public static Response problem(int status, String title, String detail) {
        return response(Problem.of(status, title, detail));
    }

    public static Response.ResponseBuilder builder(int status, String title, String detail) {
        return builder(Problem.of(status, title, detail));
    }

    /** 400 for a body that failed strict binding; {@code field} names the culprit when one is. */
    public static Response invalid(String title, InvalidPayloadException e) {
        return response(Problem.of(400, title, e.getMessage()).withField(e.field()));
    }

    public static Response response(Problem problem) {
        return builder(problem).build();
    }

    /** The problem as problem+json, with Retry-After where it carries a retry hint. */
    public static Response.ResponseBuilder builder(Problem problem) {
        Response.ResponseBuilder answer =
                Response.status(problem.status()).type(MEDIA_TYPE).entity(Json.write(problem.body()));
        if (problem.retryAfter() != null) {
            answer.header("Retry-After", problem.retryAfterSeconds());
        }
        return answer;
    }
}
