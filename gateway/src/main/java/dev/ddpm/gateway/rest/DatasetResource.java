package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.service.DatasetUploads;
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

/**
 * Data sets: {@code POST /v1/datasets/{name}?file=F} stores one image or archive (PNG, JPEG, zip,
 * tar, tar.gz, MNIST IDX; recognised by content) under {@code ddpm-datasets/{name}/} and announces
 * DatasetUpdated, which may start a retraining; {@code GET /v1/datasets} lists them; {@code DELETE
 * /v1/datasets/{name}} removes every object of one (its first uploader or an admin).
 */
@Path("/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private final DatasetUploads uploads;

    public DatasetResource(DatasetUploads uploads) {
        this.uploads = uploads;
    }

    @POST
    @Path("/{name}")
    @Consumes(MediaType.WILDCARD)
    public Response upload(
            @PathParam("name") String name,
            @QueryParam("file") String file,
            InputStream body,
            @Context ContainerRequestContext request) {
        Caller caller = (Caller) request.getProperty(AuthFilter.CALLER);
        return Response.status(201)
                .entity(uploads.upload(name, file, body, caller == null ? "unknown" : caller.keyId()))
                .build();
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
