package dev.ddpm.gateway.rest;

import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Require;
import dev.ddpm.core.storage.ObjectNotFoundException;
import dev.ddpm.gateway.service.ModelCatalog;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The published models: list, one model with its versions and manifest, and each version's sample grid. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelResource {

    private final ModelCatalog catalog;

    public ModelResource(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @GET
    public List<Map<String, Object>> list() {
        List<Map<String, Object>> models = new ArrayList<>();
        catalog.versions()
                .forEach((name, versions) -> models.add(Map.of(
                        "name",
                        name,
                        "latestVersion",
                        versions.get(0),
                        "versions",
                        versions,
                        "samplesUrl",
                        samplesUrl(name, versions.get(0)))));
        return models;
    }

    @GET
    @Path("/{name}")
    public Response get(@PathParam("name") String name) {
        return version(name, null);
    }

    @GET
    @Path("/{name}/versions/{version}")
    public Response version(@PathParam("name") String name, @PathParam("version") String version) {
        Response invalid = checkNames(name, version);
        if (invalid != null) {
            return invalid;
        }
        return catalog.manifest(name, version)
                .map(manifest -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("name", name);
                    body.put("version", manifest.version());
                    body.put("versions", catalog.versions(name));
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
    public Response samples(@PathParam("name") String name, @PathParam("version") String version) {
        Response invalid = checkNames(name, version);
        if (invalid != null) {
            return invalid;
        }
        try {
            return Response.ok(catalog.samples(name, version), "image/png").build();
        } catch (ObjectNotFoundException e) {
            return Problems.problem(404, "no sample grid", "model '" + name + "' version '" + version + "' has none");
        }
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
