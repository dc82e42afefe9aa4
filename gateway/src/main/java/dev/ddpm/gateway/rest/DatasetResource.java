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
 * DatasetUpdated, which may start a retraining; {@code GET /v1/datasets} lists the caller's; {@code DELETE
 * /v1/datasets/{name}} removes every object of one. A data set is its first uploader's (and the
 * admins'), see {@link DatasetUploads}. An upload is
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
        Caller caller = AuthFilter.caller(request);
        UploadSlots.Slot slot = slots.admit(caller.keyId());
        return CompletableFuture.supplyAsync(
                () -> {
                    try (slot) {
                        return Response.status(201)
                                .entity(uploads.upload(name, file, body, caller))
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

    /** The caller's data sets (an admin's: every one). */
    @GET
    public List<DatasetUploads.Summary> list(@Context ContainerRequestContext request) {
        return uploads.list(AuthFilter.caller(request));
    }
}
