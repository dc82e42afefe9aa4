package dev.ddpm.gateway.rest;

import dev.ddpm.core.events.CloudEvent;
import dev.ddpm.core.events.DatasetUpdated;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.messaging.EventPublisher;
import dev.ddpm.core.messaging.MessagingException;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.gateway.service.UploadFormat;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.Consumes;
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

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Data sets: {@code POST /v1/datasets/{name}?file=F} stores one image or archive (PNG, JPEG, zip,
 * tar, tar.gz, MNIST IDX; recognised by content) under {@code ddpm-datasets/{name}/} and announces
 * DatasetUpdated, which may start a retraining; {@code GET /v1/datasets} lists them.
 */
@Path("/v1/datasets")
@Produces(MediaType.APPLICATION_JSON)
public class DatasetResource {

    private final ArtifactStore store;
    private final EventPublisher events;
    private final GatewayConfig config;

    public DatasetResource(ArtifactStore store, EventPublisher events, GatewayConfig config) {
        this.store = store;
        this.events = events;
        this.config = config;
    }

    @POST
    @Path("/{name}")
    @Consumes(MediaType.WILDCARD)
    public Response upload(@PathParam("name") String name, @QueryParam("file") String file, InputStream body,
                           @Context ContainerRequestContext request) throws IOException {
        try {
            Require.safeName(name, "name");
            if (file != null) {
                Require.safeName(file, "file");
            }
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid upload", e);
        }
        byte[] data = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, config.maxUploadBytes() + 1));
        if (data.length > config.maxUploadBytes()) {
            return Problems.problem(413, "upload too large", "uploads are limited to " + config.maxUploadBytes() + " bytes");
        }
        if (data.length == 0) {
            return Problems.problem(400, "empty upload", "the request body is empty");
        }
        var format = UploadFormat.detect(data);
        if (format.isEmpty()) {
            return Problems.builder(415, "unsupported upload format", "the body is none of PNG, JPEG, zip, tar, "
                    + "tar.gz or MNIST IDX images").build();
        }
        String objectName = file != null ? file : "upload-" + System.currentTimeMillis() + "." + format.get().extension();
        Caller caller = (Caller) request.getProperty(AuthFilter.CALLER);
        try {
            var ref = store.put(Buckets.DATASETS, name + "/" + objectName, data, "application/octet-stream");
            long objects = store.list(Buckets.DATASETS, name + "/").size();
            events.publishAndWait(CloudEvent.of(events.source(), new DatasetUpdated(name, ref.key(), objects,
                    "gateway:" + (caller == null ? "unknown" : caller.keyId()))), Duration.ofSeconds(30));
            return Response.status(201).entity(Map.of("dataset", name, "key", ref.key(), "sha256", ref.sha256(),
                    "bytes", data.length, "format", format.get().name().toLowerCase(java.util.Locale.ROOT),
                    "objects", objects)).build();
        } catch (StorageException | MessagingException e) {
            return Problems.problem(503, "dependency unavailable", e.getMessage());
        }
    }

    @GET
    public Response list() {
        try {
            Map<String, long[]> sets = new TreeMap<>();
            for (StoredObject object : store.list(Buckets.DATASETS, "")) {
                long[] totals = sets.computeIfAbsent(object.key().split("/")[0], k -> new long[2]);
                totals[0]++;
                totals[1] += object.sizeBytes();
            }
            List<Map<String, Object>> out = new ArrayList<>();
            sets.forEach((name, totals) -> out.add(Map.of("name", name, "objects", totals[0], "bytes", totals[1])));
            return Response.ok(out).build();
        } catch (StorageException e) {
            return Problems.problem(503, "object store unavailable", e.getMessage());
        }
    }
}
