package dev.ddpm.gateway.service;

import dev.ddpm.core.api.ModelManifest;
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

/** The published models as the models bucket has them: names, versions (newest first), manifests. */
@Singleton
public class ModelCatalog {

    private static final String MANIFEST = "manifest.json";

    private final ArtifactStore store;

    public ModelCatalog(ArtifactStore store) {
        this.store = store;
    }

    /** Versions by model name, newest first; only versions whose manifest exists (complete ones). */
    public Map<String, List<String>> versions() {
        return store.list(Buckets.MODELS, "").stream()
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

    public List<String> versions(String name) {
        return versions().getOrDefault(name, List.of());
    }

    /** The manifest of {@code version} (null: the newest), verified against its stored sha256. */
    public Optional<ModelManifest> manifest(String name, String version) {
        String chosen = version;
        if (chosen == null) {
            List<String> all = versions(name);
            if (all.isEmpty()) {
                return Optional.empty();
            }
            chosen = all.get(0);
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
