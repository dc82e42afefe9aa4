package dev.ddpm.core.api;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The body of POST /v1/samples as the gateway and the sampler read it. */
class SamplingRequestTest {

    private static SamplingRequest read(String json) {
        return Json.read(json.getBytes(StandardCharsets.UTF_8), SamplingRequest.class);
    }

    @Test
    void absentFieldsTakeTheDocumentedDefaults() {
        SamplingRequest body = read("{\"model\":\"mnist\"}");

        assertThat(body.count()).isEqualTo(1);
        assertThat(body.sampler()).isEqualTo(SamplerKind.DPM_SOLVER_PP_SDE);
        assertThat(dev.ddpm.core.diffusion.Schedulers.steps(body.sampler(), body.steps(), 1000))
                .isEqualTo(25);
        assertThat(body.order()).isNull();
        assertThat(body.spacing()).isNull();
        assertThat(body.eta()).isEqualTo(0.0);
        assertThat(body.seed()).isZero();
        assertThat(body.output()).isEqualTo(OutputFormat.PNG);
        assertThat(body.clipX0()).isTrue();
        assertThat(body.ddpmVariance()).isEqualTo(DdpmVariance.FIXED_SMALL);
        assertThat(body.threshold()).isNull();
    }

    @ParameterizedTest
    @EnumSource(SamplerKind.class)
    void everySamplerIsReadByItsWireName(SamplerKind sampler) {
        SamplingRequest body = read("{\"model\":\"mnist\",\"sampler\":\"" + sampler.wireName() + "\"}");

        assertThat(body.sampler()).isEqualTo(sampler);
    }

    @Test
    void theNewSamplersAreReadByTheirNamesAndAliases() {
        assertThat(read("{\"model\":\"mnist\",\"sampler\":\"dpm++sde\",\"order\":3}"))
                .extracting(SamplingRequest::sampler, SamplingRequest::order)
                .containsExactly(SamplerKind.DPM_SOLVER_PP_SDE, 3);
        assertThat(read("{\"model\":\"mnist\",\"sampler\":\"euler-ancestral\"}").sampler())
                .isEqualTo(SamplerKind.EULER_ANCESTRAL);
        assertThat(read("{\"model\":\"mnist\",\"sampler\":\"euler_a\"}").sampler())
                .isEqualTo(SamplerKind.EULER_ANCESTRAL);
        assertThat(read("{\"model\":\"mnist\",\"sampler\":\"sa-solver\",\"order\":1}")
                        .sampler())
                .isEqualTo(SamplerKind.SA_SOLVER);
        assertThatThrownBy(() -> read("{\"model\":\"mnist\",\"sampler\":\"euler-ancestral\",\"order\":2}"))
                .isInstanceOf(InvalidPayloadException.class)
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("order"));
    }

    @Test
    void anUnknownSamplerIsRefusedListingEverySampler() {
        assertThatThrownBy(() -> read("{\"model\":\"mnist\",\"sampler\":\"rk4\"}"))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'sampler' has an invalid value rk4 (must be ddpm, ddim, dpm++, unipc, "
                        + "euler, heun, dpm++sde, euler-ancestral or sa-solver, was 'rk4')")
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("sampler"));
    }

    @Test
    void aThresholdIsAPercentileKeptThroughTheResolvedCopies() {
        SamplingRequest body = read("{\"model\":\"mnist\",\"sampler\":\"dpm++sde\",\"threshold\":0.995}");

        assertThat(body.threshold()).isEqualTo(0.995);
        assertThat(read("{\"model\":\"mnist\",\"threshold\":1}").threshold()).isEqualTo(1.0);
        assertThat(body.withSteps(12).threshold()).isEqualTo(0.995);
        assertThat(body.withDeadlineAtMost(Duration.ofSeconds(5)).threshold()).isEqualTo(0.995);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.5, 1.5})
    void aThresholdOutsideZeroToOneIsRefusedNamingTheField(double threshold) {
        assertThatThrownBy(() -> read("{\"model\":\"mnist\",\"threshold\":" + threshold + "}"))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'threshold' must be a percentile in (0, 1], was " + threshold)
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("threshold"));
    }

    @ParameterizedTest
    @EnumSource(DdpmVariance.class)
    void everyVarianceIsReadByItsWireName(DdpmVariance variance) {
        SamplingRequest body =
                read("{\"model\":\"mnist\",\"sampler\":\"ddpm\",\"variance\":\"" + variance.wireName() + "\"}");

        assertThat(body.ddpmVariance()).isEqualTo(variance);
        assertThat(DdpmVariance.byName(variance.wireName())).isEqualTo(variance);
    }

    @Test
    void anUnknownVarianceIsRefusedNamingTheFieldAndTheAcceptedValues() {
        assertThatThrownBy(() -> read("{\"model\":\"mnist\",\"variance\":\"FIXED_LARGE\"}"))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'variance' must be fixed_small or fixed_large, was 'FIXED_LARGE'")
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("variance"));
    }

    @Test
    void previewsAreCappedPerImageByRaisingTheIntervalNeverRefused() {
        SamplingRequest everyStep = read("{\"model\":\"mnist\",\"steps\":1000,\"previewEvery\":1}");

        SamplingRequest capped = everyStep.withPreviewsAtMost(50);

        assertThat(capped.previewEvery()).isEqualTo(20);
        int previews = 0;
        for (int step = 1; step < 1000; step++) {
            previews += step % capped.previewEvery() == 0 ? 1 : 0;
        }
        assertThat(previews).isLessThanOrEqualTo(50);
        // within the cap, or without previews, the request is left as it is
        assertThat(read("{\"model\":\"mnist\",\"steps\":20,\"previewEvery\":5}")
                        .withPreviewsAtMost(50)
                        .previewEvery())
                .isEqualTo(5);
        assertThat(read("{\"model\":\"mnist\",\"steps\":1000}")
                        .withPreviewsAtMost(50)
                        .previewEvery())
                .isZero();
        assertThat(SamplingRequest.previewInterval(1, 1001, 50)).isEqualTo(21);
    }
}
