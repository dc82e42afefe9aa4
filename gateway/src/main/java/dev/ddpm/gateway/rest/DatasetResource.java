package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.service.DatasetUploads;
import dev.ddpm.gateway.service.UploadSlots;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Data sets: {@code POST /v1/datasets/{name}?file=F} stores one image or archive (PNG, JPEG, zip,
 * tar, tar.gz, MNIST IDX; recognised by content) under {@code ddpm-datasets/{name}/} and announces
 * DatasetUpdated, which may start a retraining; {@code GET /v1/datasets} lists them; {@code DELETE
 * /v1/datasets/{name}} removes every object of one (its first uploader or an admin). An upload is
 * admitted or refused (429) at once and then read on the uploads' own threads ({@link UploadSlots}).
 */
@Path("/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private final DatasetUploads uploads;
    private final UploadSlots slots;

    public DatasetResource(DatasetUploads uploads, UploadSlots slots) {
        this.uploads = uploads;
        this.slots = slots;
    }

    @POST
    @Path("/{name}")
    @Consumes(MediaType.WILDCARD)
    @Blocking // only to hand the body's stream on: a non-blocking method would have it read whole first
    public CompletionStage<Response> upload(
            @PathParam("name") String name,
            @QueryParam("file") String file,
            InputStream body,
            @Context ContainerRequestContext request) {
        Caller caller = (Caller) request.getProperty(AuthFilter.CALLER);
        String uploader = caller == null ? "unknown" : caller.keyId();
        UploadSlots.Slot slot = slots.admit(uploader);
        return CompletableFuture.supplyAsync(
                () -> {
                    try (slot) {
                        return Response.status(201)
                                .entity(uploads.upload(name, file, body, uploader))
                                .build();
                    }
                },
                slot.executor());
    }

    @DELETE
    @Path("/{name}")
    public Response delete(@PathParam("name") String name, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        long removed = uploads.delete(name, AuthFilter.caller(request));
        return Response.ok(Map.of("name", name, "deletedObjects", removed)).build();
    }

    @GET
    public List<DatasetUploads.Summary> list() {
        return uploads.list();
    }
}
