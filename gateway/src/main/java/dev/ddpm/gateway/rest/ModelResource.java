package dev.ddpm.gateway.rest;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.json.OptionalField;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelSharing;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.service.ModelAccess;
import dev.ddpm.gateway.service.ModelCatalog;
import dev.ddpm.gateway.service.ModelOperations;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The published models: list, one model with its versions and manifest, and each version's sample
 * grid; and their lifecycle: aliases and history, promote, roll back, canary, policy, sharing, delete
 * a version (the {@code train} scope, then the model's owner or an admin; see {@link ModelOperations}).
 * A key sees the models it owns and those shared with it ({@link ModelAccess}); any other answers 404
 * as an unknown model.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    /** {@code POST /v1/models/{name}/promote}: the version to make production, and why. */
    public record PromoteBody(String version, @OptionalField String reason) {

        public PromoteBody {
            Require.safeName(version, "version");
        }
    }

    /** {@code POST /v1/models/{name}/rollback}: why (optional; so is the whole body). */
    public record RollbackBody(@OptionalField String reason) {}

    private final ModelCatalog catalog;
    private final ModelOperations operations;
    private final ModelAccess access;

    public ModelResource(ModelCatalog catalog, ModelOperations operations, ModelAccess access) {
        this.catalog = catalog;
        this.operations = operations;
        this.access = access;
    }

    /** The models the caller sees: its own and (marked {@code shared}) those shared with it; an admin's: all. */
    @GET
    public List<Map<String, Object>> list(@Context ContainerRequestContext request) {
        Caller caller = AuthFilter.caller(request);
        List<Map<String, Object>> models = new ArrayList<>();
        catalog.versions().forEach((name, versions) -> {
            Optional<ModelAliases> known = access.find(name).filter(a -> ModelAccess.sees(caller, a));
            if (known.isEmpty()) {
                return;
            }
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("name", name);
            model.put("shared", ModelAccess.sharedWith(caller, known.get()));
            model.put("latestVersion", versions.get(0));
            model.put("versions", versions);
            model.put("samplesUrl", samplesUrl(name, versions.get(0)));
            model.putAll(aliasView(name, versions));
            models.add(model);
        });
        return models;
    }

    @GET
    @Path("/{name}")
    public Response get(@PathParam("name") String name, @Context ContainerRequestContext request) {
        return version(name, null, request);
    }

    @GET
    @Path("/{name}/versions/{version}")
    public Response version(
            @PathParam("name") String name,
            @PathParam("version") String version,
            @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, version);
        if (invalid != null) {
            return invalid;
        }
        access.requireVisible(AuthFilter.caller(request), name);
        return catalog.manifest(name, version)
                .map(manifest -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("name", name);
                    body.put("version", manifest.version());
                    List<String> versions = catalog.versions(name);
                    body.put("versions", versions);
                    body.putAll(aliasView(name, versions));
                    body.put("metrics", manifest.metrics());
                    body.put("samplesUrl", samplesUrl(name, manifest.version()));
                    body.put("manifest", manifest);
                    return Response.ok(body).build();
                })
                .orElseGet(() -> Problems.problem(
                        404,
                        "unknown model",
                        "no published model '" + name + "'" + (version == null ? "" : " version '" + version + "'")));
    }

    @GET
    @Path("/{name}/versions/{version}/samples.png")
    @Produces({"image/png", Problems.MEDIA_TYPE})
    public Response samples(
            @PathParam("name") String name,
            @PathParam("version") String version,
            @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, version);
        if (invalid != null) {
            return invalid;
        }
        access.requireVisible(AuthFilter.caller(request), name);
        try {
            return Response.ok(catalog.samples(name, version), "image/png").build();
        } catch (ObjectNotFoundException e) {
            return Problems.problem(404, "no sample grid", "model '" + name + "' version '" + version + "' has none");
        }
    }

    /** Aliases, canary split, policy, owner and revision of the model's alias document (404 unknown model). */
    @GET
    @Path("/{name}/aliases")
    public Response aliases(@PathParam("name") String name, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.aliases(caller, name), caller))
                .build();
    }

    /** Every change of the model's aliases and policy, oldest first (what a rollback reads). */
    @GET
    @Path("/{name}/history")
    public Response history(@PathParam("name") String name, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        ModelAliases aliases = operations.aliases(AuthFilter.caller(request), name);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("revision", aliases.revision());
        body.put("history", aliases.history());
        return Response.ok(body).build();
    }

    @POST
    @Path("/{name}/promote")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response promote(
            @PathParam("name") String name, PromoteBody body, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        if (body == null) {
            return Problems.problem(400, "invalid request", "the body must name the version to promote");
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.promote(caller, name, body.version(), body.reason()), caller))
                .build();
    }

    /** The body is optional (a POST without one rolls back without a reason), so it is bound here. */
    @POST
    @Path("/{name}/rollback")
    @Consumes(MediaType.WILDCARD)
    public Response rollback(@PathParam("name") String name, String body, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        String reason = body == null || body.isBlank()
                ? null
                : Json.read(body.getBytes(StandardCharsets.UTF_8), RollbackBody.class)
                        .reason();
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.rollback(caller, name, reason), caller))
                .build();
    }

    /** Sends {@code percent} of production's requests to {@code version} (chosen from each request's seed). */
    @PUT
    @Path("/{name}/canary")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response setCanary(
            @PathParam("name") String name, CanarySplit body, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        if (body == null) {
            return Problems.problem(400, "invalid request", "the body must give the canary's version and percent");
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.canary(caller, name, body), caller))
                .build();
    }

    @DELETE
    @Path("/{name}/canary")
    public Response endCanary(@PathParam("name") String name, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.canary(caller, name, null), caller))
                .build();
    }

    @PUT
    @Path("/{name}/policy")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response setPolicy(
            @PathParam("name") String name,
            ModelOperations.PolicyChange body,
            @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        if (body == null) {
            return Problems.problem(400, "invalid request", "the body must give promotion, margin or retrain");
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.policy(caller, name, body), caller))
                .build();
    }

    /**
     * Which other keys may sample the model: {@code {"public": true}} every key, {@code {"keys": [...]}}
     * those listed, {@code {}} none but its owner. Replaces what was set before.
     */
    @PUT
    @Path("/{name}/sharing")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response setSharing(
            @PathParam("name") String name, ModelSharing body, @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, null);
        if (invalid != null) {
            return invalid;
        }
        if (body == null) {
            return Problems.problem(400, "invalid request", "the body must give public or keys");
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.share(caller, name, body), caller))
                .build();
    }

    /** Removes a version's files; 409 for production (and the canary's version), 404 for none. */
    @DELETE
    @Path("/{name}/versions/{version}")
    public Response deleteVersion(
            @PathParam("name") String name,
            @PathParam("version") String version,
            @Context ContainerRequestContext request) {
        Response invalid = checkNames(name, version);
        if (invalid != null) {
            return invalid;
        }
        Caller caller = AuthFilter.caller(request);
        return Response.ok(aliasesBody(operations.deleteVersion(caller, name, version), caller))
                .build();
    }

    /** Production, candidate and canary of a model as the model views show them. */
    private Map<String, Object> aliasView(String name, List<String> versions) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("production", catalog.production(name, versions).orElse(null));
        Optional<ModelAliases> aliases = catalog.aliases(name);
        view.put("candidate", aliases.flatMap(ModelAliases::candidate).orElse(null));
        view.put("canary", aliases.map(ModelAliases::canary).orElse(null));
        return view;
    }

    /** The alias document as the API shows it; whom it is shared with only to those who may change that. */
    static Map<String, Object> aliasesBody(ModelAliases aliases, Caller caller) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", aliases.model());
        body.put("revision", aliases.revision());
        body.put("updatedAt", aliases.updatedAt().toString());
        body.put("aliases", aliases.aliases());
        body.put("production", aliases.production().orElse(null));
        body.put("candidate", aliases.candidate().orElse(null));
        body.put("canary", aliases.canary());
        body.put("policy", aliases.policy());
        body.put("owner", aliases.owner());
        if (ModelAccess.isAdmin(caller) || aliases.ownedBy(caller.keyId())) {
            body.put("sharing", aliases.sharing());
        } else {
            body.put("shared", ModelAccess.sharedWith(caller, aliases));
        }
        return body;
    }

    static String samplesUrl(String name, String version) {
        return "/v1/models/" + name + "/versions/" + version + "/samples.png";
    }

    /** Names become object keys: anything but a safe name is refused before it gets near the bucket. */
    static Response checkNames(String name, String version) {
        try {
            Require.safeName(name, "name");
            if (version != null) {
                Require.safeName(version, "version");
            }
            return null;
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid name", e);
        }
    }
}
