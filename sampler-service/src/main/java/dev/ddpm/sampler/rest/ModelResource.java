package dev.ddpm.sampler.rest;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Operators' view of the models this replica serves: list, inspect, load (newest or a version), unload. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final ModelRegistry registry;

    public ModelResource(ModelRegistry registry) {
        this.registry = registry;
    }

    /** A loaded version as operators see it. */
    public record LoadedView(
            String name,
            String version,
            String provider,
            Instant loadedAt,
            int activeRequests,
            ModelManifest manifest) {
        static LoadedView of(LoadedModel m) {
            return new LoadedView(
                    m.name(), m.version(), m.provider().label(), m.loadedAt(), m.activeLeases(), m.manifest());
        }
    }

    @GET
    public List<LoadedView> list() {
        return registry.current().values().stream().map(LoadedView::of).toList();
    }

    @GET
    @Path("/{name}")
    public Response get(@PathParam("name") String name) {
        LoadedModel model = registry.current().get(name);
        if (model == null) {
            return Problems.problem(404, "unknown model", "model '" + name + "' is not loaded here");
        }
        List<String> versions;
        try {
            versions = registry.versions(name);
        } catch (StorageException e) {
            versions = List.of(model.version());
        }
        return Response.ok(Map.of("loaded", LoadedView.of(model), "versions", versions))
                .build();
    }

    @POST
    @Path("/{name}/load")
    public Response load(@PathParam("name") String name, @QueryParam("version") String version) {
        if (version == null || version.isBlank()) {
            return registry.installLatest(name)
                    .map(m -> Response.ok(LoadedView.of(m)).build())
                    .orElseGet(() -> Problems.problem(
                            404, "unknown model", "no loadable version of '" + name + "' in the models bucket"));
        }
        try (LoadedModel.Lease lease = registry.acquire(name, version)) {
            return Response.ok(LoadedView.of(lease.model())).build();
        }
    }

    @DELETE
    @Path("/{name}")
    public Response unload(@PathParam("name") String name) {
        return registry.unload(name)
                ? Response.noContent().build()
                : Problems.problem(404, "unknown model", "model '" + name + "' is not loaded here");
    }
}
