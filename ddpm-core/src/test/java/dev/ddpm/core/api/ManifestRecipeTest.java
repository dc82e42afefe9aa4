package dev.ddpm.core.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ddpm.core.events.SamplePayloads;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The recipe a model's manifest records: the whole training request, readable as one while it reads. */
class ManifestRecipeTest {

    @Test
    void theRecipeReadsBackAsTheRequestItWasWrittenFrom() {
        TrainingRequest request = SamplePayloads.trainingRequest();
        ModelManifest.Training training = new ModelManifest.Training("run-0001", 20, true, Json.tree(request));

        ModelManifest.Training read = Json.read(Json.write(training), ModelManifest.Training.class);

        assertThat(read.trainingRequest()).contains(request);
        assertThat(new ModelManifest.Training("run-0001", 20, true, null).trainingRequest())
                .isEmpty();
    }

    /** A recipe a later, stricter request refuses leaves the manifest readable: the model stays servable. */
    @Test
    void aRecipeThatNoLongerReadsDoesNotMakeTheManifestUnreadable() {
        ObjectNode recipe = (ObjectNode) Json.tree(SamplePayloads.trainingRequest());
        recipe.put("batchSize", 1_000_000);
        ModelManifest.Training training = new ModelManifest.Training("run-0001", 20, true, recipe);

        ModelManifest.Training read = Json.read(Json.write(training), ModelManifest.Training.class);

        assertThat(read.runId()).isEqualTo("run-0001");
        assertThat(read.recipe().get("batchSize").asInt()).isEqualTo(1_000_000);
        assertThat(read.trainingRequest()).isEmpty();
    }
}
