package dev.ddpm.sampler.mapping;

import com.google.protobuf.Timestamp;
import dev.ddpm.core.api.SampleBody;
import dev.ddpm.core.api.ProtoEnums;
import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.events.SamplerKind;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.proto.common.v1.ModelInfo;
import dev.ddpm.proto.common.v1.SampleParams;
import dev.ddpm.sampler.batching.SampleSpec;

import java.util.List;
import java.util.Locale;

/** Between the gRPC messages and the sampler's own types. */
public final class ProtoMapping {

    private ProtoMapping() {
    }

    public static SampleSpec spec(SampleParams p) {
        SamplerKind named = ProtoEnums.samplerKind(p.getSampler().name());
        SamplerKind sampler = named == null ? SampleBody.DEFAULT_SAMPLER : named;
        OutputFormat output = switch (p.getOutput()) {
            case OUTPUT_FORMAT_GRID -> OutputFormat.GRID;
            case OUTPUT_FORMAT_GIF -> OutputFormat.GIF;
            case OUTPUT_FORMAT_VIDEO -> OutputFormat.VIDEO;
            default -> OutputFormat.PNG;
        };
        DdpmVariance variance = p.getVariance() == dev.ddpm.proto.common.v1.Variance.VARIANCE_FIXED_LARGE
                ? DdpmVariance.FIXED_LARGE : DdpmVariance.FIXED_SMALL;
        return new SampleSpec(p.getModel().getName(), p.getModel().getVersion(), p.getCount(), sampler,
                p.getSteps() == 0 ? null : p.getSteps(), p.getEta(), p.getSeed(), output, p.getClipX0(), variance,
                p.getPreviewEvery(), SampleSpec.seconds(p.getDeadlineSeconds()), p.getOrder() == 0 ? null : p.getOrder(),
                ProtoEnums.spacing(p.getSpacing().name()));
    }

    public static ModelInfo modelInfo(ModelManifest m, List<String> versions) {
        return ModelInfo.newBuilder()
                .setName(m.name())
                .setVersion(m.version())
                .setCreatedAt(Timestamp.newBuilder().setSeconds(m.createdAt().getEpochSecond()).setNanos(m.createdAt().getNano()))
                .setChannels(m.image().channels())
                .setHeight(m.image().height())
                .setWidth(m.image().width())
                .setTimesteps(m.diffusion().timesteps())
                .setSchedule(m.diffusion().schedule().name().toLowerCase(Locale.ROOT))
                .setPredictionType(m.diffusion().predictionType().name().toLowerCase(Locale.ROOT))
                .setManifestJson(Json.writeString(m))
                .putAllMetrics(m.metrics())
                .addAllVersions(versions)
                .build();
    }
}
