package dev.ddpm.gateway.rest;

import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.service.Idempotency;
import dev.ddpm.gateway.service.SampleJobs;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;

/**
 * Large batches, asynchronously: {@code POST /v1/sample-jobs} (202 and the job id) puts a
 * SampleJobRequested on {@code ddpm.sample-jobs}; {@code GET /v1/sample-jobs/{id}} says queued,
 * cancelling, succeeded (with the result URLs), failed (with the reason) or cancelled, on any replica
 * (404 for a job none has heard of); {@code DELETE} cancels a job that has not ended (202, 409 once
 * it has); the files come from {@code GET /v1/sample-jobs/{id}/files/{name}}. A job is its
 * submitter's (and the admins'): to any other key it answers 404, as an unknown job.
 */
@Path("/v1/sample-jobs")
@Produces(MediaType.APPLICATION_JSON)
public class SampleJobResource {

    private final SampleJobs jobs;
    private final ArtifactStore store;

    public SampleJobResource(SampleJobs jobs, ArtifactStore store) {
        this.jobs = jobs;
        this.store = store;
    }

    /**
     * 202 with the job id; with an {@code Idempotency-Key} header, a repeat of a job the gateway knows
     * answers the same 202 and body (header {@code Idempotent-Replayed: true}), neither sent nor charged
     * again.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response submit(
            SamplingRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey,
            @Context ContainerRequestContext request) {
        String key = Idempotency.validate(idempotencyKey, Idempotency.HEADER);
        Idempotency.Submission job = jobs.submit(AuthFilter.caller(request), body, key);
        Response.ResponseBuilder accepted =
                Response.accepted(Map.of("jobId", job.id(), "status", "/v1/sample-jobs/" + job.id()));
        return (job.replayed() ? accepted.header(Idempotency.REPLAYED_HEADER, "true") : accepted).build();
    }

    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, null);
        return invalid != null
                ? invalid
                : Response.ok(jobs.status(id, AuthFilter.caller(request))).build();
    }

    @DELETE
    @Path("/{id}")
    public Response cancel(@PathParam("id") String id, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, null);
        return invalid != null
                ? invalid
                : Response.accepted(jobs.cancel(id, AuthFilter.caller(request))).build();
    }

    @GET
    @Path("/{id}/files/{name}")
    @Produces({"image/png", "image/gif", "video/mp4", Problems.MEDIA_TYPE})
    public Response file(
            @PathParam("id") String id, @PathParam("name") String name, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, name);
        if (invalid != null) {
            return invalid;
        }
        jobs.status(id, AuthFilter.caller(request)); // another key's job answers as an unknown one
        try {
            String type = name.endsWith(".gif") ? "image/gif" : name.endsWith(".mp4") ? "video/mp4" : "image/png";
            return Response.ok(store.get(Buckets.SAMPLES, id + "/" + name), type)
                    .build();
        } catch (ObjectNotFoundException e) {
            return Problems.problem(404, "no such file", "job '" + id + "' has no file '" + name + "'");
        }
    }
}
