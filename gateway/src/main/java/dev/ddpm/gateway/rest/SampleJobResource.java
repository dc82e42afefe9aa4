package dev.ddpm.gateway.rest;

import dev.ddpm.core.api.SampleBody;
import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.ObjectRef;
import dev.ddpm.core.events.SampleJobCompleted;
import dev.ddpm.core.events.SampleJobFailed;
import dev.ddpm.core.events.SampleJobRequested;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.gateway.service.SampleJobResults;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Large batches, asynchronously: {@code POST /v1/sample-jobs} (202 and the job id) puts a
 * SampleJobRequested on {@code ddpm.sample-jobs}; {@code GET /v1/sample-jobs/{id}} says queued,
 * succeeded (with the result URLs) or failed (with the reason); the files come from
 * {@code GET /v1/sample-jobs/{id}/files/{name}}.
 */
@Path("/v1/sample-jobs")
@Produces(MediaType.APPLICATION_JSON)
public class SampleJobResource {

    private final EventPublisher events;
    private final ArtifactStore store;
    private final SampleJobResults results;
    private final GatewayConfig config;

    public SampleJobResource(EventPublisher events, ArtifactStore store, SampleJobResults results, GatewayConfig config) {
        this.events = events;
        this.store = store;
        this.results = results;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response submit(byte[] json) {
        SampleBody body;
        try {
            body = Json.read(json, SampleBody.class);
            if (body.count() > config.maxCount()) {
                throw new InvalidPayloadException("field 'count' must be at most " + config.maxCount() + ", was "
                        + body.count(), "count");
            }
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid sampling job", e);
        }
        String jobId = "job-" + UUID.randomUUID();
        try {
            events.publishAndWait(CloudEvent.of(events.source(), new SampleJobRequested(jobId, body.model(), body.version(),
                    body.count(), body.sampler(), body.steps(), body.eta(), body.seed(), body.output())), Duration.ofSeconds(30));
        } catch (MessagingException e) {
            return Problems.problem(503, "broker unavailable", e.getMessage());
        }
        return Response.accepted(Map.of("jobId", jobId, "status", "/v1/sample-jobs/" + jobId)).build();
    }

    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("jobId", id);
        var outcome = results.outcome(id);
        if (outcome.isPresent() && outcome.get() instanceof SampleJobCompleted done) {
            view.put("state", "succeeded");
            view.put("model", done.model());
            view.put("version", done.version());
            view.put("results", done.results().stream().map(r -> "/v1/sample-jobs/" + id + "/files/" + fileName(r)).toList());
        } else if (outcome.isPresent() && outcome.get() instanceof SampleJobFailed failed) {
            view.put("state", "failed");
            view.put("error", failed.reason());
        } else {
            view.put("state", "queued");
        }
        return Response.ok(view).build();
    }

    @GET
    @Path("/{id}/files/{name}")
    @Produces({"image/png", "image/gif", Problems.MEDIA_TYPE})
    public Response file(@PathParam("id") String id, @PathParam("name") String name) {
        Response invalid = ModelResource.checkNames(id, name);
        if (invalid != null) {
            return invalid;
        }
        try {
            return Response.ok(store.get(Buckets.SAMPLES, id + "/" + name), name.endsWith(".gif") ? "image/gif" : "image/png")
                    .build();
        } catch (ObjectNotFoundException e) {
            return Problems.problem(404, "no such file", "job '" + id + "' has no file '" + name + "'");
        }
    }

    private static String fileName(ObjectRef ref) {
        return ref.key().substring(ref.key().lastIndexOf('/') + 1);
    }

}
