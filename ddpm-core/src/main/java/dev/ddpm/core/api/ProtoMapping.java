package dev.ddpm.core.api;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import dev.ddpm.core.diffusion.DdpmVariance;
import dev.ddpm.core.diffusion.SamplerKind;
import dev.ddpm.core.diffusion.TimestepSpacing;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.lifecycle.CanarySplit;
import dev.ddpm.core.model.BetaSchedule;
import dev.ddpm.core.model.LearningRateDecay;
import dev.ddpm.core.model.PredictionType;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The messages of the gRPC contracts ({@code SampleParams} and {@code ModelInfo} of common.proto,
 * {@code StartTrainingRequest} of gateway.proto) to and from the project's own types, written once for
 * every service.
 *
 * <p>Each service compiles the contracts with its own gRPC code generation, so ddpm-core cannot name
 * the generated classes; it reads and writes them through their descriptors instead, by the field
 * and enum-constant names of common.proto (which are part of the contract). A renamed proto field
 * fails {@code ProtoMappingTest} in the services, not silently at run time.
 *
 * <p>proto3 has no absent scalars: 0, the empty string and {@code *_UNSPECIFIED} mean "not set",
 * so {@link SamplingRequest} decides the default exactly as for a JSON body that leaves the field out.
 */
public final class ProtoMapping {

    private ProtoMapping() {}

    // ---- SampleParams ---------------------------------------------------------------------------

    /**
     * The request a {@code SampleParams} message describes.
     *
     * @throws dev.ddpm.core.json.InvalidPayloadException naming the field when a value is out of range
     */
    public static SamplingRequest samplingRequest(MessageOrBuilder params) {
        MessageOrBuilder model = (MessageOrBuilder) get(params, "model");
        return new SamplingRequest(
                (String) get(model, "name"),
                blankToNull((String) get(model, "version")),
                zeroToNull((Integer) get(params, "count")),
                constant(SamplerKind.class, params, "sampler", "SAMPLER_"),
                zeroToNull((Integer) get(params, "steps")),
                (Double) get(params, "eta"),
                (Long) get(params, "seed"),
                constant(OutputFormat.class, params, "output", "OUTPUT_FORMAT_"),
                (Boolean) get(params, "clip_x0"),
                variance(constant(DdpmVariance.class, params, "variance", "VARIANCE_")),
                (Integer) get(params, "preview_every"),
                zeroToNull((Double) get(params, "deadline_seconds")),
                zeroToNull((Integer) get(params, "order")),
                constant(TimestepSpacing.class, params, "spacing", "SPACING_"),
                (Double) getIfSet(params, "threshold"));
    }

    /** Fills a {@code SampleParams} builder with the request; returns the builder. */
    public static <B extends Message.Builder> B sampleParams(SamplingRequest request, B params) {
        Message.Builder model = params.newBuilderForField(field(params.getDescriptorForType(), "model"));
        set(model, "name", request.model());
        set(model, "version", request.version() == null ? "" : request.version());
        set(params, "model", model.build());
        set(params, "count", request.count());
        setEnum(params, "sampler", "SAMPLER_" + request.sampler().name());
        set(params, "steps", request.steps() == null ? 0 : request.steps());
        set(params, "eta", request.eta());
        set(params, "seed", request.seed());
        // JSON (base64 PNGs) is how REST wraps PNGs; over gRPC the images are the PNGs themselves.
        setEnum(
                params,
                "output",
                "OUTPUT_FORMAT_"
                        + (request.output() == OutputFormat.JSON ? OutputFormat.PNG : request.output()).name());
        set(params, "clip_x0", request.clipX0());
        setEnum(params, "variance", "VARIANCE_" + request.ddpmVariance().name());
        set(params, "preview_every", request.previewEvery());
        set(params, "deadline_seconds", request.deadlineSeconds() == null ? 0.0 : request.deadlineSeconds());
        set(params, "order", request.order() == null ? 0 : request.order());
        setEnum(
                params,
                "spacing",
                "SPACING_"
                        + (request.spacing() == null
                                ? "UNSPECIFIED"
                                : request.spacing().name()));
        if (request.threshold() != null) {
            set(params, "threshold", request.threshold());
        }
        return params;
    }

    // ---- StartTrainingRequest -------------------------------------------------------------------

    /**
     * The request a {@code StartTrainingRequest} message describes (gateway.proto).
     *
     * @throws dev.ddpm.core.json.InvalidPayloadException naming the field when a value is out of range
     */
    public static TrainingRequest trainingRequest(MessageOrBuilder m) {
        return TrainingRequest.builder()
                .dataset((String) get(m, "dataset"))
                .modelName(blankToNull((String) get(m, "model_name")))
                .preset(blankToNull((String) get(m, "preset")))
                .timesteps(zeroToNull((Integer) get(m, "timesteps")))
                .schedule(wireEnum(BetaSchedule.class, m, "schedule"))
                .predictionType(wireEnum(PredictionType.class, m, "prediction_type"))
                .steps((Long) get(m, "steps"))
                .batchSize(zeroToNull((Integer) get(m, "batch_size")))
                .learningRate(zeroToNull((Double) get(m, "learning_rate")))
                .warmupSteps((Integer) getIfSet(m, "warmup_steps"))
                .emaDecay((Double) getIfSet(m, "ema_decay"))
                .seed((Long) get(m, "seed"))
                .checkpointEvery(zeroToNull((Integer) get(m, "checkpoint_every")))
                .learningRateDecay(wireEnum(LearningRateDecay.class, m, "learning_rate_decay"))
                .snrGamma((Double) get(m, "snr_gamma"))
                .maxMinutes((Double) get(m, "max_minutes"))
                .keepCheckpoints(zeroToNull((Integer) get(m, "keep_checkpoints")))
                .horizontalFlip(
                        switch (enumName(m, "horizontal_flip")) {
                            case "FLIP_ON" -> Boolean.TRUE;
                            case "FLIP_OFF" -> Boolean.FALSE;
                            default -> null;
                        })
                .qualityEvery((Integer) get(m, "quality_every"))
                .resumeFrom(blankToNull((String) get(m, "resume_from")))
                .resumeFromStep((Long) getIfSet(m, "resume_from_step"))
                .build();
    }

    /**
     * Fills a {@code StartTrainingRequest} builder with the request (all but a full architecture, which
     * only the JSON body carries); returns the builder.
     */
    public static <B extends Message.Builder> B startTrainingRequest(TrainingRequest r, B m) {
        if (r.architecture() != null) {
            throw new IllegalArgumentException("StartTrainingRequest has no architecture field: a request with a "
                    + "full architecture travels as JSON (POST /v1/trainings)");
        }
        set(m, "dataset", r.dataset());
        set(m, "model_name", r.modelName());
        set(m, "preset", r.preset());
        set(m, "timesteps", r.timesteps());
        set(m, "schedule", Json.wireName(r.schedule()));
        set(m, "prediction_type", Json.wireName(r.predictionType()));
        set(m, "steps", r.steps());
        set(m, "batch_size", r.batchSize());
        set(m, "learning_rate", r.learningRate());
        set(m, "warmup_steps", r.warmupSteps());
        set(m, "ema_decay", r.emaDecay());
        set(m, "seed", r.seed());
        set(m, "checkpoint_every", r.checkpointEvery());
        set(m, "learning_rate_decay", Json.wireName(r.learningRateDecay()));
        set(m, "snr_gamma", r.snrGamma());
        set(m, "max_minutes", r.maxMinutes());
        set(m, "keep_checkpoints", r.keepCheckpoints());
        setEnum(
                m,
                "horizontal_flip",
                r.horizontalFlip() == null ? "FLIP_UNSPECIFIED" : r.horizontalFlip() ? "FLIP_ON" : "FLIP_OFF");
        set(m, "quality_every", r.qualityEvery());
        set(m, "resume_from", r.resumeFrom() == null ? "" : r.resumeFrom());
        if (r.resumeFromStep() != null) {
            set(m, "resume_from_step", r.resumeFromStep());
        }
        return m;
    }

    // ---- ModelInfo ------------------------------------------------------------------------------

    /** Fills a {@code ModelInfo} builder with what the manifest says and the versions known; returns it. */
    public static <B extends Message.Builder> B modelInfo(ModelManifest m, List<String> versions, B info) {
        set(info, "name", m.name());
        set(info, "version", m.version());
        set(info, "created_at", timestamp(m.createdAt()));
        set(info, "channels", m.image().channels());
        set(info, "height", m.image().height());
        set(info, "width", m.image().width());
        set(info, "timesteps", m.diffusion().timesteps());
        set(info, "schedule", m.diffusion().schedule().name().toLowerCase(Locale.ROOT));
        set(info, "prediction_type", m.diffusion().predictionType().name().toLowerCase(Locale.ROOT));
        set(info, "manifest_json", Json.writeString(m));
        FieldDescriptor metrics = field(info.getDescriptorForType(), "metrics");
        m.metrics().forEach((name, value) -> {
            Message.Builder entry = info.newBuilderForField(metrics);
            set(entry, "key", name);
            set(entry, "value", value);
            info.addRepeatedField(metrics, entry.build());
        });
        FieldDescriptor versionList = field(info.getDescriptorForType(), "versions");
        versions.forEach(v -> info.addRepeatedField(versionList, v));
        return info;
    }

    /**
     * Fills a {@code ModelInfo} builder's aliases (alias to version) and production's canary split;
     * returns it.
     */
    public static <B extends Message.Builder> B modelAliases(Map<String, String> aliases, CanarySplit canary, B info) {
        FieldDescriptor map = field(info.getDescriptorForType(), "aliases");
        aliases.forEach((alias, version) -> {
            Message.Builder entry = info.newBuilderForField(map);
            set(entry, "key", alias);
            set(entry, "value", version);
            info.addRepeatedField(map, entry.build());
        });
        if (canary != null) {
            set(info, "canary_version", canary.version());
            set(info, "canary_percent", canary.percent());
        }
        return info;
    }

    public static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder()
                .setSeconds(t.getEpochSecond())
                .setNanos(t.getNano())
                .build();
    }

    // ---- descriptors ----------------------------------------------------------------------------

    private static FieldDescriptor field(Descriptor type, String name) {
        FieldDescriptor field = type.findFieldByName(name);
        if (field == null) {
            throw new IllegalStateException(type.getFullName() + " has no field '" + name + "'");
        }
        return field;
    }

    private static Object get(MessageOrBuilder message, String name) {
        return message.getField(field(message.getDescriptorForType(), name));
    }

    private static void set(Message.Builder message, String name, Object value) {
        message.setField(field(message.getDescriptorForType(), name), value);
    }

    /** A proto3 {@code optional} field's value, or null when it is not set. */
    private static Object getIfSet(MessageOrBuilder message, String name) {
        FieldDescriptor field = field(message.getDescriptorForType(), name);
        return message.hasField(field) ? message.getField(field) : null;
    }

    /** A string field holding an enum's wire name (as JSON spells it); empty: null. */
    private static <E extends Enum<E>> E wireEnum(Class<E> type, MessageOrBuilder message, String name) {
        String value = (String) get(message, name);
        return value.isEmpty() ? null : Json.enumValue(type, value, jsonName(name));
    }

    /** A proto field's name as the JSON body spells it (learning_rate_decay: learningRateDecay). */
    private static String jsonName(String protoName) {
        StringBuilder json = new StringBuilder();
        for (int i = 0; i < protoName.length(); i++) {
            char c = protoName.charAt(i);
            json.append(c == '_' && i + 1 < protoName.length() ? Character.toUpperCase(protoName.charAt(++i)) : c);
        }
        return json.toString();
    }

    private static String enumName(MessageOrBuilder message, String name) {
        return ((EnumValueDescriptor) get(message, name)).getName();
    }

    private static void setEnum(Message.Builder message, String name, String constant) {
        FieldDescriptor field = field(message.getDescriptorForType(), name);
        EnumValueDescriptor value = field.getEnumType().findValueByName(constant);
        if (value == null) {
            throw new IllegalStateException(field.getEnumType().getFullName() + " has no constant " + constant);
        }
        message.setField(field, value);
    }

    /**
     * The constant an enum field holds, by name (SAMPLER_DPM_SOLVER_PP: DPM_SOLVER_PP); *_UNSPECIFIED: null.
     * A number the contract does not define (a client built against a newer common.proto) or a constant
     * without a counterpart in {@code type} is refused naming the field, not read as unset: a request for
     * a sampler this build lacks must not be served by the default sampler.
     *
     * @throws dev.ddpm.core.json.InvalidPayloadException naming the field and the constants it may hold
     */
    private static <E extends Enum<E>> E constant(Class<E> type, MessageOrBuilder message, String name, String prefix) {
        EnumValueDescriptor value = (EnumValueDescriptor) get(message, name);
        if (value.getName().equals(prefix + "UNSPECIFIED")) {
            return null;
        }
        E constant = counterpart(type, value, prefix);
        if (constant != null) {
            return constant;
        }
        List<String> accepted = value.getType().getValues().stream()
                .filter(known -> counterpart(type, known, prefix) != null)
                .map(EnumValueDescriptor::getName)
                .toList();
        throw new InvalidPayloadException(
                "field '" + jsonName(name) + "' has an invalid value " + value.getNumber() + " (must be "
                        + Json.alternatives(accepted) + ", was " + value.getNumber() + ")",
                jsonName(name));
    }

    /** The constant of {@code type} named as {@code value} without its prefix; null when there is none. */
    private static <E extends Enum<E>> E counterpart(Class<E> type, EnumValueDescriptor value, String prefix) {
        if (!value.getName().startsWith(prefix) || value.getIndex() < 0) {
            return null;
        }
        try {
            return Enum.valueOf(type, value.getName().substring(prefix.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String variance(DdpmVariance variance) {
        return variance == null ? null : variance.wireName();
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static Integer zeroToNull(Integer n) {
        return n == 0 ? null : n;
    }

    private static Double zeroToNull(Double n) {
        return n == 0 ? null : n;
    }
}
