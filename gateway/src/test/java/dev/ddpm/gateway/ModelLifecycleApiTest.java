package dev.ddpm.gateway;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.ModelAliasChanged;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.events.ModelVersionDeleted;
import dev.ddpm.core.events.Topic;
import dev.ddpm.core.events.TrainingCancelRequested;
import dev.ddpm.core.events.TrainingCancelled;
import dev.ddpm.core.events.TrainingRequested;
import dev.ddpm.core.events.TrainingStarted;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.core.lifecycle.AliasChange;
import dev.ddpm.core.lifecycle.ModelAliasStore;
import dev.ddpm.core.lifecycle.ModelAliases;
import dev.ddpm.core.lifecycle.ModelLifecycle;
import dev.ddpm.core.lifecycle.ModelPolicy;
import dev.ddpm.core.lifecycle.QualityGate;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.ObjectRef;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.service.testing.GaussianModel;
import dev.ddpm.service.testing.TestOnlySigningKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;

/**
 * The model lifecycle on the public HTTP API, against the real broker and S3 server: each change is
 * in {@code aliases.json} and announced on {@code ddpm.models}; production cannot be deleted; data
 * sets and training runs can be removed and cancelled; all of it only by the owner or an admin, to
 * every other key another's model, data set or run answers as one that does not exist.
 */
@QuarkusTest
@QuarkusTestResource(RealSampler.class)
class ModelLifecycleApiTest extends GatewayTestBase {

    static final String OTHER_KEY = "test-key-other";
    static final String ADMIN_KEY = "test-key-admin";

    /** A version's files (graph, then manifest), as a trainer writes them; not announced. */
    static void storeVersion(ArtifactStore store, String name, String version) {
        GaussianModel model = new GaussianModel(name, version, GaussianModel.pattern(1, 16, 0), 0.3, 1, 16);
        byte[] graph = model.graph();
        ObjectRef graphRef =
                store.put(Buckets.MODELS, name + "/" + version + "/unet.onnx", graph, "application/octet-stream");
        TestOnlySigningKeys.putSignedManifest(
                store, name + "/" + version + "/manifest.json", model.manifest(graph, graphRef, Instant.now()));
    }

    /** Two versions published as the trainer publishes them: v1 production, v2 candidate. */
    static String modelWithCandidate(ArtifactStore store, String name, String owner) {
        ModelLifecycle lifecycle = new ModelLifecycle(store, event -> {}, Clock.systemUTC());
        storeVersion(store, name, "v1");
        lifecycle.published(name, "v1", owner, "trainer");
        storeVersion(store, name, "v2");
        lifecycle.published(name, "v2", owner, "trainer");
        return name;
    }

    private ModelAliases stored(String model) {
        return new ModelAliasStore(store).read(model).orElseThrow();
    }

    private ModelAliasChanged announced(String model, AliasChange.Action action) {
        return (ModelAliasChanged) awaitEvent(
                Topic.MODELS,
                model,
                e -> e instanceof ModelAliasChanged c && c.change().action() == action);
    }

    @Test
    void theOwnerPromotesRollsBackSetsACanaryAndAPolicyEachWrittenAndAnnounced() {
        String model = modelWithCandidate(store, name("life"), "trainer");
        as(TRAINER_KEY)
                .get("/v1/models/" + model + "/aliases")
                .then()
                .statusCode(200)
                .body("production", equalTo("v1"))
                .body("candidate", equalTo("v2"))
                .body("owner", equalTo("trainer"))
                .body("revision", equalTo(2))
                .body("policy.promotion", equalTo("auto"));
        as(TRAINER_KEY)
                .get("/v1/models")
                .then()
                .statusCode(200)
                .body("find { it.name == '" + model + "' }.production", equalTo("v1"))
                .body("find { it.name == '" + model + "' }.candidate", equalTo("v2"));

        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\",\"reason\":\"looks better\"}")
                .post("/v1/models/" + model + "/promote")
                .then()
                .statusCode(200)
                .body("production", equalTo("v2"))
                .body("candidate", nullValue());
        assertThat(stored(model).production()).contains("v2");
        ModelAliasChanged promoted = announced(model, AliasChange.Action.PROMOTED);
        assertThat(promoted.aliases()).containsEntry(ModelAliases.PRODUCTION, "v2");
        assertThat(promoted.change().actor()).isEqualTo("trainer");
        assertThat(promoted.change().reason()).isEqualTo("looks better");

        as(TRAINER_KEY)
                .post("/v1/models/" + model + "/rollback")
                .then()
                .statusCode(200)
                .body("production", equalTo("v1"));
        assertThat(stored(model).production()).contains("v1");
        assertThat(announced(model, AliasChange.Action.ROLLED_BACK).aliases())
                .containsEntry(ModelAliases.PRODUCTION, "v1");
        // Without a version: production's manifest, though v2 is newer.
        as(TRAINER_KEY)
                .get("/v1/models/" + model)
                .then()
                .statusCode(200)
                .body("version", equalTo("v1"))
                .body("production", equalTo("v1"));

        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\",\"percent\":10}")
                .put("/v1/models/" + model + "/canary")
                .then()
                .statusCode(200)
                .body("canary.version", equalTo("v2"))
                .body("canary.percent", equalTo(10));
        assertThat(stored(model).canary().percent()).isEqualTo(10);
        assertThat(announced(model, AliasChange.Action.CANARY).canary().version())
                .isEqualTo("v2");
        as(TRAINER_KEY)
                .get("/v1/models")
                .then()
                .body("find { it.name == '" + model + "' }.canary.version", equalTo("v2"));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\",\"percent\":100}")
                .put("/v1/models/" + model + "/canary")
                .then()
                .statusCode(400)
                .body("field", equalTo("percent"));
        as(TRAINER_KEY)
                .delete("/v1/models/" + model + "/canary")
                .then()
                .statusCode(200)
                .body("canary", nullValue());
        assertThat(stored(model).canary()).isNull();

        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"promotion\":\"manual\",\"margin\":0.2}")
                .put("/v1/models/" + model + "/policy")
                .then()
                .statusCode(200)
                .body("policy.promotion", equalTo("manual"))
                .body("policy.margin", equalTo(0.2f));
        assertThat(stored(model).policy()).isEqualTo(new ModelPolicy(ModelPolicy.Promotion.MANUAL, 0.2, null));
        announced(model, AliasChange.Action.POLICY);
        // Only what the body names changes.
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"retrain\":\"fine-tune\"}")
                .put("/v1/models/" + model + "/policy")
                .then()
                .statusCode(200);
        assertThat(stored(model).policy())
                .isEqualTo(new ModelPolicy(ModelPolicy.Promotion.MANUAL, 0.2, ModelPolicy.Retrain.FINE_TUNE));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"margin\":2}")
                .put("/v1/models/" + model + "/policy")
                .then()
                .statusCode(400)
                .body("field", equalTo("margin"));

        as(TRAINER_KEY)
                .get("/v1/models/" + model + "/history")
                .then()
                .statusCode(200)
                .body("history.action", hasItems("published", "promoted", "rolled-back", "canary", "policy"))
                .body("history.find { it.action == 'promoted' }.actor", equalTo("trainer"));
    }

    @Test
    void productionCannotBeDeletedACandidateCanAndUnknownsAre404() {
        String model = modelWithCandidate(store, name("del"), "trainer");
        as(TRAINER_KEY)
                .delete("/v1/models/" + model + "/versions/v1")
                .then()
                .statusCode(409)
                .contentType("application/problem+json")
                .body("detail", containsString("production"));
        assertThat(store.exists(Buckets.MODELS, model + "/v1/manifest.json")).isTrue();
        assertThat(store.list(Buckets.MODELS, model + "/v1/"))
                .extracting(StoredObject::key)
                .containsExactlyInAnyOrder(
                        model + "/v1/manifest.json", model + "/v1/manifest.json.sig", model + "/v1/unet.onnx");

        as(TRAINER_KEY)
                .delete("/v1/models/" + model + "/versions/v2")
                .then()
                .statusCode(200)
                .body("candidate", nullValue())
                .body("production", equalTo("v1"));
        assertThat(store.list(Buckets.MODELS, model + "/v2/")).isEmpty();
        assertThat(stored(model).candidate()).isEmpty();
        awaitEvent(
                Topic.MODELS,
                model,
                e -> e instanceof ModelVersionDeleted d && d.version().equals("v2"));

        as(TRAINER_KEY).delete("/v1/models/" + model + "/versions/v2").then().statusCode(404);
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v9\"}")
                .post("/v1/models/" + model + "/promote")
                .then()
                .statusCode(404)
                .body("detail", containsString("v9"));
        as(ADMIN_KEY).post("/v1/models/no-such-model/rollback").then().statusCode(404);
        as(VIEWER_KEY).get("/v1/models/no-such-model/aliases").then().statusCode(404);
        // Only one production version so far: nothing to roll back to.
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"reason\":\"worse\"}")
                .post("/v1/models/" + model + "/rollback")
                .then()
                .statusCode(409)
                .body("detail", containsString("no earlier one"));
    }

    @Test
    void onlyTheOwnerOrAnAdminChangesAModel() {
        String model = modelWithCandidate(store, name("own"), "trainer");
        as(VIEWER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\"}")
                .post("/v1/models/" + model + "/promote")
                .then()
                .statusCode(403)
                .body("detail", containsString("lacks the 'train' scope"));
        // Another key's model answers as one that does not exist.
        as(OTHER_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\"}")
                .post("/v1/models/" + model + "/promote")
                .then()
                .statusCode(404)
                .contentType("application/problem+json")
                .body("title", equalTo("unknown model"))
                .body("detail", equalTo("no published model '" + model + "'"));
        as(OTHER_KEY).delete("/v1/models/" + model + "/versions/v2").then().statusCode(404);
        as(OTHER_KEY).delete("/v1/models/" + model + "/canary").then().statusCode(404);
        assertThat(stored(model).revision()).as("nothing changed").isEqualTo(2);
        assertThat(store.exists(Buckets.MODELS, model + "/v2/manifest.json")).isTrue();

        as(ADMIN_KEY)
                .contentType("application/json")
                .body("{\"version\":\"v2\"}")
                .post("/v1/models/" + model + "/promote")
                .then()
                .statusCode(200)
                .body("production", equalTo("v2"));

        // A model published before aliases existed (or by the command line) has no owner: admins only.
        String unowned = name("unowned");
        storeVersion(store, unowned, "v1");
        as(VIEWER_KEY).get("/v1/models/" + unowned + "/aliases").then().statusCode(404);
        as(ADMIN_KEY)
                .get("/v1/models/" + unowned + "/aliases")
                .then()
                .statusCode(200)
                .body("production", equalTo("v1"));
        as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"promotion\":\"manual\"}")
                .put("/v1/models/" + unowned + "/policy")
                .then()
                .statusCode(404)
                .body("detail", equalTo("no published model '" + unowned + "'"));
        as(ADMIN_KEY)
                .contentType("application/json")
                .body("{\"promotion\":\"manual\"}")
                .put("/v1/models/" + unowned + "/policy")
                .then()
                .statusCode(200);
        assertThat(stored(unowned).policy().promotion()).isEqualTo(ModelPolicy.Promotion.MANUAL);
    }

    @Test
    void aDataSetIsDeletedWholeByItsFirstUploader() {
        String dataset = name("gone");
        byte[] png = ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16);
        for (String file : new String[] {"a.png", "b.png"}) {
            as(TRAINER_KEY)
                    .contentType("application/octet-stream")
                    .body(png)
                    .post("/v1/datasets/" + dataset + "?file=" + file)
                    .then()
                    .statusCode(201);
        }
        // The name is the first uploader's: a second key may not add to it (nor learn whose it is).
        as(OTHER_KEY)
                .contentType("application/octet-stream")
                .body(png)
                .post("/v1/datasets/" + dataset + "?file=c.png")
                .then()
                .statusCode(409)
                .body("title", equalTo("data set name taken"))
                .body("detail", org.hamcrest.Matchers.not(containsString("trainer")));
        as(TRAINER_KEY)
                .get("/v1/datasets")
                .then()
                .body("find { it.name == '" + dataset + "' }.objects", equalTo(2))
                .body("findAll { it.name.endsWith('.json') }", org.hamcrest.Matchers.empty());

        as(OTHER_KEY)
                .delete("/v1/datasets/" + dataset)
                .then()
                .statusCode(404)
                .body("detail", equalTo("data set '" + dataset + "' has no objects"));
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).hasSize(2);

        as(TRAINER_KEY).delete("/v1/datasets/" + dataset).then().statusCode(200).body("deletedObjects", equalTo(2));
        assertThat(store.list(Buckets.DATASETS, dataset + "/")).isEmpty();
        assertThat(store.list(Buckets.DATASETS, dataset))
                .as("its owner record too")
                .isEmpty();
        as(TRAINER_KEY).delete("/v1/datasets/" + dataset).then().statusCode(404);
        as(VIEWER_KEY).delete("/v1/datasets/" + dataset).then().statusCode(403);
    }

    @Test
    void aTrainingRunIsCancelledByItsRequesterAndShowsTheGatesVerdict() {
        String dataset = name("cancel");
        as(TRAINER_KEY)
                .contentType("application/octet-stream")
                .body(ImageEncoding.png(GaussianModel.pattern(1, 16, 0), 1, 16))
                .post("/v1/datasets/" + dataset + "?file=a.png")
                .then()
                .statusCode(201);
        String runId = as(TRAINER_KEY)
                .contentType("application/json")
                .body("{\"dataset\":\"" + dataset + "\",\"steps\":20}")
                .post("/v1/trainings")
                .then()
                .statusCode(202)
                .extract()
                .path("runId");
        as(OTHER_KEY)
                .delete("/v1/trainings/" + runId)
                .then()
                .statusCode(404)
                .body("detail", equalTo("no run '" + runId + "' is known"));
        as(TRAINER_KEY).delete("/v1/trainings/" + runId).then().statusCode(202).body("state", equalTo("cancelling"));
        TrainingCancelRequested cancel = (TrainingCancelRequested)
                awaitEvent(Topic.TRAINING_REQUESTS, runId, TrainingCancelRequested.class::isInstance);
        assertThat(cancel.requestedBy()).isEqualTo("trainer");

        send(new TrainingStarted(runId, dataset, dataset, "cpu()", 1000, 0, 20));
        send(new TrainingCancelled(runId, 3, "trainer"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> as(TRAINER_KEY)
                        .get("/v1/trainings/" + runId)
                        .then()
                        .body("state", equalTo("cancelled"))
                        .body("requestedBy", equalTo("trainer")));
        as(TRAINER_KEY).delete("/v1/trainings/" + runId).then().statusCode(409).body("detail", containsString("ended"));
        as(TRAINER_KEY).delete("/v1/trainings/no-such-run").then().statusCode(404);

        // A run requested elsewhere (another replica, the command line): its owner from the requests' topic.
        String elsewhere = name("elsewhere");
        send(new TrainingRequested(
                elsewhere, TrainingRequest.builder().dataset(dataset).steps(10).build(), "other"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> as(OTHER_KEY)
                        .get("/v1/trainings/" + elsewhere)
                        .then()
                        .statusCode(200)
                        .body("requestedBy", equalTo("other")));
        as(TRAINER_KEY).delete("/v1/trainings/" + elsewhere).then().statusCode(404);
        as(OTHER_KEY).delete("/v1/trainings/" + elsewhere).then().statusCode(202);

        // The quality gate's verdict shows on the run.
        send(new ModelEvaluated(
                elsewhere,
                dataset,
                "v2",
                QualityGate.compare(
                        "v1", "unipc 20 steps", Map.of("quality_fld", 1.0), Map.of("quality_fld", 1.05), 0.1),
                true,
                "promoted"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> as(OTHER_KEY)
                        .get("/v1/trainings/" + elsewhere)
                        .then()
                        .body("evaluation.passed", equalTo(true))
                        .body("evaluation.promoted", equalTo(true))
                        .body("evaluation.production", equalTo("v1"))
                        .body("evaluation.reason", containsString("not worse")));
    }
}
