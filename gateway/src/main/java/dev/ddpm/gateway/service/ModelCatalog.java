package dev.ddpm.gateway.service;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StoredObject;
import jakarta.inject.Singleton;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The published models as the models bucket has them: names, versions (newest first), manifests,
 * and which version each alias names ({@code aliases.json}).
 */
@Singleton
public class ModelCatalog {

    private static final String MANIFEST = "manifest.json";

    private final ArtifactStore store;
    private final ModelAliasStore aliases;

    public ModelCatalog(ArtifactStore store) {
        this.store = store;
        this.aliases = new ModelAliasStore(store);
    }

    /** Versions by model name, newest first; only versions whose manifest exists (complete ones). */
    public Map<String, List<String>> versions() {
        return versionsIn(store.list(Buckets.MODELS, ""));
    }

    /** One model's versions, newest first: a listing of its own prefix, however many models the bucket holds. */
    public List<String> versions(String name) {
        return versionsIn(store.list(Buckets.MODELS, name + "/")).getOrDefault(name, List.of());
    }

    private static Map<String, List<String>> versionsIn(List<StoredObject> objects) {
        return objects.stream()
                .map(StoredObject::key)
                .filter(k -> k.endsWith("/" + MANIFEST) && k.split("/").length == 3)
                .collect(Collectors.groupingBy(
                        k -> k.split("/")[0],
                        TreeMap::new,
                        Collectors.mapping(
                                k -> k.split("/")[1],
                                Collectors.collectingAndThen(
                                        Collectors.toList(),
                                        l -> l.stream()
                                                .sorted(Comparator.reverseOrder())
                                                .toList()))));
    }

    /** The model's alias document; empty for a model without one (its newest version is served). */
    public Optional<ModelAliases> aliases(String name) {
        return aliases.read(name);
    }

    /**
     * The version requests without one get: production as {@code aliases.json} names it, else (a
     * model published before it had aliases) the newest.
     */
    public Optional<String> production(String name, List<String> versions) {
        Optional<String> named = aliases(name).flatMap(ModelAliases::production).filter(versions::contains);
        return named.isPresent() ? named : versions.stream().findFirst();
    }

    /**
     * The manifest of {@code version} (null: production; an alias: the version it names), verified
     * against its stored sha256.
     */
    public Optional<ModelManifest> manifest(String name, String version) {
        String chosen = version;
        if (chosen == null || ModelAliases.PRODUCTION.equals(chosen)) {
            Optional<String> production = production(name, versions(name));
            if (production.isEmpty()) {
                return Optional.empty();
            }
            chosen = production.get();
        } else if (ModelAliases.isAlias(chosen)) {
            Optional<String> named =
                    aliases(name).flatMap(a -> Optional.ofNullable(a.aliases().get(version)));
            if (named.isEmpty()) {
                return Optional.empty();
            }
            chosen = named.get();
        }
        String key = name + "/" + chosen + "/" + MANIFEST;
        if (!store.exists(Buckets.MODELS, key)) {
            return Optional.empty();
        }
        return Optional.of(store.getJson(Buckets.MODELS, key, ModelManifest.class));
    }

    /** The sample grid published with a version. */
    public byte[] samples(String name, String version) {
        return store.get(Buckets.MODELS, name + "/" + version + "/samples.png");
    }
}
