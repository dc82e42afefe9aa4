package dev.ddpm.core.api;

import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;

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
        assertThat(body.sampler()).isEqualTo(SamplerKind.UNIPC);
        assertThat(body.order()).isNull();
        assertThat(body.spacing()).isNull();
        assertThat(body.eta()).isEqualTo(0.0);
        assertThat(body.seed()).isZero();
        assertThat(body.output()).isEqualTo(OutputFormat.PNG);
        assertThat(body.clipX0()).isTrue();
        assertThat(body.ddpmVariance()).isEqualTo(DdpmVariance.FIXED_SMALL);
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
}
