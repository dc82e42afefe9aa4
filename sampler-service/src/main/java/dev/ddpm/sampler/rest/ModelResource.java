package dev.ddpm.sampler.rest;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.storage.StorageException;
import dev.ddpm.sampler.engine.LoadedModel;
import dev.ddpm.sampler.grpc.CallerIdentity;
import dev.ddpm.sampler.registry.ModelRegistry;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operators' view of the models this replica serves: list, inspect (with production, candidate and
 * the canary), load (production, or a version or alias), unload.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final ModelRegistry registry;

    public ModelResource(ModelRegistry registry) {
        this.registry = registry;
    }

    /**
     * A loaded version as operators see it, with the model's aliases (alias to version; a model
     * without an alias document: its current version as production) and production's canary split
     * (null: none).
     */
    public record LoadedView(
            String name,
            String version,
            String provider,
            Instant loadedAt,
            int activeRequests,
            ModelManifest manifest,
            Map<String, String> aliases,
            CanarySplit canary) {
        static LoadedView of(LoadedModel m, ModelRegistry registry) {
            Optional<ModelAliases> aliases = registry.aliases(m.name());
            LoadedModel production = registry.current().get(m.name());
            return new LoadedView(
                    m.name(),
                    m.version(),
                    m.provider().label(),
                    m.loadedAt(),
                    m.activeLeases(),
                    m.manifest(),
                    aliases.map(ModelAliases::aliases)
                            .orElse(
                                    production == null
                                            ? Map.of()
                                            : Map.of(ModelAliases.PRODUCTION, production.version())),
                    aliases.map(ModelAliases::canary).orElse(null));
        }
    }

    @GET
    public List<LoadedView> list() {
        return registry.current().values().stream()
                .map(m -> LoadedView.of(m, registry))
                .toList();
    }

    /** The model's current version, its aliases, canary and alias revision (0: no document), and its versions. */
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
        LoadedView loaded = LoadedView.of(model, registry);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("loaded", loaded);
        body.put("versions", versions);
        body.put("aliases", loaded.aliases());
        body.put("canary", loaded.canary());
        body.put("revision", registry.aliases(name).map(ModelAliases::revision).orElse(0L));
        return Response.ok(body).build();
    }

    @POST
    @Path("/{name}/load")
    public Response load(
            @PathParam("name") String name,
            @QueryParam("version") String version,
            @HeaderParam(CallerIdentity.HEADER) String caller) {
        if (version == null || version.isBlank()) {
            return registry.installProduction(name)
                    .map(m -> Response.ok(LoadedView.of(m, registry)).build())
                    .orElseGet(() -> Problems.problem(
                            404, "unknown model", "no loadable version of '" + name + "' in the models bucket"));
        }
        try (LoadedModel.Lease lease = registry.acquire(name, version, caller)) {
            return Response.ok(LoadedView.of(lease.model(), registry)).build();
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
