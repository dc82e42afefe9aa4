package dev.ddpm.core.lifecycle;

import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelAliasesTest {

    private static final Instant AT = Instant.parse("2026-12-07T10:00:00Z");

    private static ModelAliases published(String... versions) {
        ModelAliases aliases = ModelAliases.none("mnist", null);
        for (String version : versions) {
            aliases = aliases.published(version, "key-a", "trainer", AT);
        }
        return aliases;
    }

    @Test
    void theFirstVersionIsProductionAndLaterOnesAreCandidates() {
        ModelAliases first = published("v1");
        assertThat(first.production()).contains("v1");
        assertThat(first.candidate()).isEmpty();
        assertThat(first.owner()).isEqualTo("key-a");
        assertThat(first.revision()).isEqualTo(1);

        ModelAliases second = first.published("v2", "key-b", "trainer", AT);
        assertThat(second.production()).contains("v1");
        assertThat(second.candidate()).contains("v2");
        assertThat(second.owner()).as("the first publisher owns the model").isEqualTo("key-a");
        assertThat(second.revision()).isEqualTo(2);
        assertThat(second.resolve(null, 0)).contains("v1");
        assertThat(second.resolve("candidate", 0)).contains("v2");
        assertThat(second.resolve("v7", 0)).contains("v7");
    }

    @Test
    void promotingTheCandidateMovesProductionAndClearsTheCandidate() {
        ModelAliases promoted = published("v1", "v2").promoted("v2", "ops", "better FLD", AT);

        assertThat(promoted.production()).contains("v2");
        assertThat(promoted.candidate()).isEmpty();
        AliasChange last = promoted.history().get(promoted.history().size() - 1);
        assertThat(last.action()).isEqualTo(AliasChange.Action.PROMOTED);
        assertThat(last.previous()).isEqualTo("v1");
        assertThat(last.version()).isEqualTo("v2");
        assertThat(last.revision()).isEqualTo(promoted.revision());
        assertThat(promoted.promoted("v2", "ops", "again", AT)).as("a no-op").isSameAs(promoted);
    }

    @Test
    void rollbackReturnsToThePreviousProductionAndASecondRollbackUndoesIt() {
        ModelAliases promoted = published("v1", "v2", "v3").promoted("v3", "ops", null, AT);

        ModelAliases back = promoted.rolledBack("ops", "regression", AT);
        assertThat(back.production()).contains("v1");
        assertThat(back.history().get(back.history().size() - 1).action()).isEqualTo(AliasChange.Action.ROLLED_BACK);

        assertThat(back.rolledBack("ops", null, AT).production()).contains("v3");
        assertThatThrownBy(() -> published("v1").rolledBack("ops", null, AT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("only one production version");
    }

    @Test
    void aCanaryTakesItsShareDeterministicallyAndEndsOnPromotion() {
        ModelAliases split = published("v1", "v2").canary(new CanarySplit("v2", 30), "ops", AT);

        int canary = 0;
        for (long seed = 0; seed < 100_000; seed++) {
            String version = split.resolve(null, seed).orElseThrow();
            assertThat(split.resolve(null, seed)).contains(version);
            if (version.equals("v2")) {
                canary++;
            }
        }
        assertThat(canary).isBetween(29_500, 30_500);
        assertThat(split.resolve("production", 1))
                .as("naming production skips the split")
                .contains("v1");

        ModelAliases promoted = split.promoted("v2", "ops", null, AT);
        assertThat(promoted.canary()).isNull();
        assertThat(promoted.production()).contains("v2");
        assertThatThrownBy(() -> split.canary(new CanarySplit("v1", 10), "ops", AT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("production already");
    }

    @Test
    void productionAndTheCanaryCannotBeDeletedButTheCandidateCan() {
        ModelAliases split = published("v1", "v2", "v3").canary(new CanarySplit("v2", 10), "ops", AT);

        assertThatThrownBy(() -> split.deleted("v1", "ops", AT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is production");
        assertThatThrownBy(() -> split.deleted("v2", "ops", AT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("canary");
        ModelAliases deleted = split.deleted("v3", "ops", AT);
        assertThat(deleted.candidate()).isEmpty();
        assertThat(deleted.revision()).isEqualTo(split.revision() + 1);
    }

    @Test
    void sharingLetsTheKeysNamedSampleAndIsRecordedInTheHistoryAndTheJson() {
        ModelAliases owned = published("v1");
        assertThat(owned.sampleableBy("key-a")).as("its owner").isTrue();
        assertThat(owned.sampleableBy("key-b")).isFalse();
        assertThat(ModelAliases.none("cli-made", null).sampleableBy(null))
                .as("no owner: no key's")
                .isFalse();

        ModelAliases shared = owned.withSharing(new ModelSharing(null, List.of("key-b")), "key-a", AT);
        assertThat(shared.sampleableBy("key-b")).isTrue();
        assertThat(shared.sampleableBy("key-c")).isFalse();
        assertThat(shared.ownedBy("key-b")).as("shared is not owned").isFalse();
        assertThat(shared.revision()).isEqualTo(owned.revision() + 1);
        assertThat(shared.history().get(shared.history().size() - 1)).satisfies(change -> {
            assertThat(change.action()).isEqualTo(AliasChange.Action.SHARING);
            assertThat(change.reason()).isEqualTo("shared with key-b");
        });
        assertThat(shared.withSharing(new ModelSharing(false, List.of("key-b")), "key-a", AT))
                .as("the same sharing again changes nothing")
                .isSameAs(shared);

        ModelAliases open = shared.withSharing(new ModelSharing(true, null), "key-a", AT);
        assertThat(open.sampleableBy("key-c")).isTrue();
        String json = new String(Json.write(open), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"public\":true");
        assertThat(Json.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), ModelAliases.class))
                .isEqualTo(open);
        assertThat(Json.read(
                                "{\"schemaVersion\":1,\"model\":\"m\",\"revision\":1,\"updatedAt\":\"2026-12-07T10:00:00Z\",\"aliases\":{}}"
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                ModelAliases.class)
                        .sharing())
                .as("a document written before sharing existed")
                .isEqualTo(ModelSharing.PRIVATE);
    }

    @Test
    void theDocumentRoundTripsThroughJson() {
        ModelAliases aliases = published("v1", "v2")
                .canary(new CanarySplit("v2", 10), "ops", AT)
                .withPolicy(
                        new ModelPolicy(ModelPolicy.Promotion.MANUAL, 0.05, ModelPolicy.Retrain.FINE_TUNE), "ops", AT);

        String json = new String(Json.write(aliases), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"manual\"").contains("\"fine-tune\"").contains("\"published\"");
        assertThat(Json.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), ModelAliases.class))
                .isEqualTo(aliases);
    }

    @Test
    void canaryBucketsSpreadConsecutiveSeedsEvenly() {
        Set<Integer> buckets = new HashSet<>();
        for (long seed = 0; seed < 1_000; seed++) {
            buckets.add(CanarySplit.bucket(seed));
        }
        assertThat(buckets).hasSize(100);
    }
}
