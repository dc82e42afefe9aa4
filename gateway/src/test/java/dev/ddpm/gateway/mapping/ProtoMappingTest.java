package dev.ddpm.gateway.mapping;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.ProtoMapping;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.DiffusionConfig;
import dev.ddpm.core.model.TensorSpec;
import dev.ddpm.core.model.UNetConfig;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.proto.common.v1.Sampler;
import dev.ddpm.proto.common.v1.Spacing;
import dev.ddpm.proto.common.v1.Variance;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ddpm-core's descriptor-based mapping against the classes this service generates from common.proto. */
class ProtoMappingTest {

    @Test
    void everyFieldOfARequestCrossesTheProtoBoundaryAndBack() {
        SamplingRequest request = new SamplingRequest(
                "emoji",
                "20261128-0001",
                9,
                SamplerKind.HEUN,
                12,
                0.25,
                77L,
                OutputFormat.VIDEO,
                false,
                "fixed_large",
                3,
                42.5,
                null,
                TimestepSpacing.TRAILING,
                null);

        SampleParams params =
                ProtoMapping.sampleParams(request, SampleParams.newBuilder()).build();

        assertThat(params.getModel())
                .isEqualTo(ModelRef.newBuilder()
                        .setName("emoji")
                        .setVersion("20261128-0001")
                        .build());
        assertThat(params.getSampler()).isEqualTo(Sampler.SAMPLER_HEUN);
        assertThat(params.getOutput()).isEqualTo(dev.ddpm.proto.common.v1.OutputFormat.OUTPUT_FORMAT_VIDEO);
        assertThat(params.getVariance()).isEqualTo(Variance.VARIANCE_FIXED_LARGE);
        assertThat(params.getSpacing()).isEqualTo(Spacing.SPACING_TRAILING);
        assertThat(params.getCount()).isEqualTo(9);
        assertThat(params.getSteps()).isEqualTo(12);
        assertThat(params.getSeed()).isEqualTo(77L);
        assertThat(params.getPreviewEvery()).isEqualTo(3);
        assertThat(params.getDeadlineSeconds()).isEqualTo(42.5);
        assertThat(params.hasThreshold()).isFalse();
        assertThat(ProtoMapping.samplingRequest(params)).isEqualTo(request);

        SamplingRequest multistep = new SamplingRequest(
                "emoji",
                null,
                2,
                SamplerKind.DPM_SOLVER_PP,
                null,
                null,
                5L,
                OutputFormat.GRID,
                true,
                null,
                null,
                null,
                3,
                null,
                null);
        assertThat(ProtoMapping.samplingRequest(ProtoMapping.sampleParams(multistep, SampleParams.newBuilder())))
                .isEqualTo(multistep);
    }

    @Test
    void theStochasticSamplersAndTheThresholdCrossTheProtoBoundaryAndBack() {
        record Case(SamplerKind kind, Sampler proto, Integer order) {}
        for (Case c : List.of(
                new Case(SamplerKind.DPM_SOLVER_PP_SDE, Sampler.SAMPLER_DPM_SOLVER_PP_SDE, 3),
                new Case(SamplerKind.EULER_ANCESTRAL, Sampler.SAMPLER_EULER_ANCESTRAL, null),
                new Case(SamplerKind.SA_SOLVER, Sampler.SAMPLER_SA_SOLVER, 1))) {
            SamplingRequest request = new SamplingRequest(
                    "emoji",
                    null,
                    2,
                    c.kind(),
                    15,
                    null,
                    8L,
                    OutputFormat.PNG,
                    true,
                    null,
                    null,
                    null,
                    c.order(),
                    TimestepSpacing.TRAILING,
                    0.995);

            SampleParams params = ProtoMapping.sampleParams(request, SampleParams.newBuilder())
                    .build();

            assertThat(params.getSampler()).as("%s", c).isEqualTo(c.proto());
            assertThat(params.hasThreshold()).isTrue();
            assertThat(params.getThreshold()).isEqualTo(0.995);
            assertThat(ProtoMapping.samplingRequest(params)).as("%s", c).isEqualTo(request);
        }
    }

    @Test
    void aThresholdOutOfRangeIsRefusedNamingIt() {
        SampleParams params = SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName("emoji"))
                .setSampler(Sampler.SAMPLER_EULER_ANCESTRAL)
                .setThreshold(0)
                .build();

        // An explicit 0 is a percentile asked for, not proto3's "unset": optional tells them apart.
        assertThatThrownBy(() -> ProtoMapping.samplingRequest(params))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessage("field 'threshold' must be a percentile in (0, 1], was 0.0")
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("threshold"));
    }

    @Test
    void aSamplerNumberTheContractDoesNotDefineIsRefusedNotServedByTheDefault() {
        SampleParams params = SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName("emoji"))
                .setSamplerValue(42)
                .build();

        assertThatThrownBy(() -> ProtoMapping.samplingRequest(params))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessage("field 'sampler' has an invalid value 42 (must be SAMPLER_DDPM, SAMPLER_DDIM, "
                        + "SAMPLER_DPM_SOLVER_PP, SAMPLER_UNIPC, SAMPLER_EULER, SAMPLER_HEUN, "
                        + "SAMPLER_DPM_SOLVER_PP_SDE, SAMPLER_EULER_ANCESTRAL or SAMPLER_SA_SOLVER, was 42)")
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("sampler"));
        assertThatThrownBy(() -> ProtoMapping.samplingRequest(params.toBuilder()
                        .setSampler(Sampler.SAMPLER_DDIM)
                        .setSpacingValue(9)
                        .build()))
                .isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("field 'spacing' has an invalid value 9 (must be SPACING_LINSPACE,")
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("spacing"));
    }

    @Test
    void everyProtoSamplerMeansTheSamplerKindOfItsName() {
        for (SamplerKind kind : SamplerKind.values()) {
            SamplingRequest request = new SamplingRequest(
                    "emoji", null, null, kind, null, null, null, null, null, null, null, null, null, null, null);
            SampleParams params = ProtoMapping.sampleParams(request, SampleParams.newBuilder())
                    .build();
            assertThat(params.getSampler().name()).isEqualTo("SAMPLER_" + kind.name());
            assertThat(ProtoMapping.samplingRequest(params).sampler()).isEqualTo(kind);
        }
    }

    @Test
    void unsetProtoFieldsTakeTheDefaultsOfABodyThatLeavesThemOut() {
        SampleParams params = SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName("emoji"))
                .build();

        // proto3 has no absent bool: an unset clip_x0 is false, where JSON's absent clipX0 is true.
        SamplingRequest body = Json.read(
                "{\"model\":\"emoji\",\"clipX0\":false}".getBytes(StandardCharsets.UTF_8), SamplingRequest.class);
        assertThat(ProtoMapping.samplingRequest(params)).isEqualTo(body);
        assertThat(body.sampler()).isEqualTo(SamplingRequest.DEFAULT_SAMPLER);
    }

    @Test
    void jsonOutputTravelsAsPngs() {
        SamplingRequest request = new SamplingRequest(
                "emoji", null, 2, null, null, null, null, OutputFormat.JSON, null, null, null, null, null, null, null);

        assertThat(ProtoMapping.sampleParams(request, SampleParams.newBuilder()).getOutput())
                .isEqualTo(dev.ddpm.proto.common.v1.OutputFormat.OUTPUT_FORMAT_PNG);
    }

    @Test
    void anOutOfRangeProtoFieldIsRefusedNamingIt() {
        SampleParams params = SampleParams.newBuilder()
                .setModel(ModelRef.newBuilder().setName("emoji"))
                .setSampler(Sampler.SAMPLER_DDIM)
                .setEta(1.5)
                .build();

        assertThatThrownBy(() -> ProtoMapping.samplingRequest(params))
                .isInstanceOf(InvalidPayloadException.class)
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("eta"));
        assertThatThrownBy(() -> ProtoMapping.samplingRequest(
                        params.toBuilder().setEta(0).setOrder(2).build()))
                .isInstanceOf(InvalidPayloadException.class)
                .satisfies(
                        e -> assertThat(((InvalidPayloadException) e).field()).isEqualTo("order"));
    }

    @Test
    void modelInfoCarriesTheManifest() {
        Instant created = Instant.parse("2026-11-28T10:15:30.123Z");
        ModelManifest manifest = new ModelManifest(
                ModelManifest.CURRENT_SCHEMA,
                "emoji",
                "20261128-0001",
                created,
                new ModelManifest.Training("run-0001", 20_000, true, null),
                new ModelManifest.Onnx(
                        "emoji/20261128-0001/unet.onnx",
                        3_400_000,
                        "0".repeat(64),
                        17,
                        List.of(
                                new TensorSpec("x", "float32", List.of("N", "3", "32", "32")),
                                new TensorSpec("t", "int64", List.of("N"))),
                        List.of(new TensorSpec("out", "float32", List.of("N", "3", "32", "32")))),
                new ModelManifest.Image(3, 32, 24),
                DiffusionConfig.ho2020(),
                new UNetConfig(3, 32, 64, List.of(1, 2, 4, 4), List.of(16, 8), 2, 32, 0.1),
                Map.of("quality_fld", 41.5),
                null,
                null);

        ModelInfo info = ProtoMapping.modelInfo(
                        manifest, List.of("20261128-0001", "20261127-0001"), ModelInfo.newBuilder())
                .build();

        assertThat(info.getName()).isEqualTo("emoji");
        assertThat(info.getVersion()).isEqualTo("20261128-0001");
        assertThat(info.getCreatedAt().getSeconds()).isEqualTo(created.getEpochSecond());
        assertThat(info.getCreatedAt().getNanos()).isEqualTo(created.getNano());
        assertThat(List.of(info.getChannels(), info.getHeight(), info.getWidth()))
                .containsExactly(3, 32, 24);
        assertThat(info.getTimesteps()).isEqualTo(1000);
        assertThat(info.getSchedule()).isEqualTo("linear");
        assertThat(info.getPredictionType()).isEqualTo("epsilon");
        assertThat(Json.read(info.getManifestJson().getBytes(StandardCharsets.UTF_8), ModelManifest.class))
                .isEqualTo(manifest);
        assertThat(info.getMetricsMap()).containsExactly(Map.entry("quality_fld", 41.5));
        assertThat(info.getVersionsList()).containsExactly("20261128-0001", "20261127-0001");
    }
}
