package dev.ddpm.gateway.rest;

import dev.ddpm.core.api.TrainingRequest;
import dev.ddpm.core.events.ModelEvaluated;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.storage.ArtifactStore;
import dev.ddpm.core.storage.Buckets;
import dev.ddpm.core.storage.StoredObject;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.gateway.service.Idempotency;
import dev.ddpm.gateway.service.ModelAccess;
import dev.ddpm.gateway.service.OpenStreams;
import dev.ddpm.gateway.service.TrainingAccess;
import dev.ddpm.gateway.service.TrainingQuota;
import dev.ddpm.gateway.service.TrainingRequests;
import dev.ddpm.gateway.service.TrainingRuns;
import dev.ddpm.gateway.service.TrainingUsage;
import dev.ddpm.service.rest.Problems;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Training runs: {@code POST /v1/trainings} asks a trainer (TrainingRequested) and answers 202 with
 * the run id; {@code GET /v1/trainings/{id}} its state (from the trainers' events), {@code .../events}
 * the same as server-sent events until it ends (with heartbeats; a cap per key), {@code .../grid.png}
 * its newest sample grid; {@code DELETE /v1/trainings/{id}} asks the trainer to cancel it
 * (TrainingCancelRequested) and answers 202. A run is its requester's (and the admins'): another
 * key's answers 404 as an unknown run, and the list shows the caller's own; what a request may name
 * is checked by {@link TrainingAccess}.
 */
@Path("/v1/trainings")
@Produces(MediaType.APPLICATION_JSON)
public class TrainingResource {

    private final TrainingRequests requests;
    private final TrainingAccess access;
    private final ArtifactStore store;
    private final TrainingRuns runs;
    private final OpenStreams streams;
    private final GatewayConfig config;
    private final TrainingQuota quota;

    public TrainingResource(
            TrainingRequests requests,
            TrainingAccess access,
            ArtifactStore store,
            TrainingRuns runs,
            OpenStreams streams,
            GatewayConfig config,
            TrainingQuota quota) {
        this.requests = requests;
        this.access = access;
        this.store = store;
        this.runs = runs;
        this.streams = streams;
        this.config = config;
        this.quota = quota;
    }

    /**
     * 202 with the run id; with an {@code Idempotency-Key} header, a repeat of a run the gateway knows
     * answers the same 202 and body (header {@code Idempotent-Replayed: true}) without sending it again.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response start(
            TrainingRequest body,
            @HeaderParam(Idempotency.HEADER) String idempotencyKey,
            @Context ContainerRequestContext request) {
        String key = Idempotency.validate(idempotencyKey, Idempotency.HEADER);
        Caller caller = AuthFilter.caller(request);
        access.admit(caller, body);
        Idempotency.Submission run = requests.start(body, caller.keyId(), key);
        String runId = run.id();
        Response.ResponseBuilder accepted = Response.accepted(Map.of(
                "runId", runId, "status", "/v1/trainings/" + runId, "events", "/v1/trainings/" + runId + "/events"));
        return (run.replayed() ? accepted.header(Idempotency.REPLAYED_HEADER, "true") : accepted).build();
    }

    /** The caller's runs (an admin's: every run). */
    @GET
    public List<Map<String, Object>> list(@Context ContainerRequestContext request) {
        return runs.all(AuthFilter.caller(request)).stream()
                .map(TrainingResource::view)
                .toList();
    }

    /** The calling key's training quota: its limits and what it uses of each, the figures a 429 gives. */
    @GET
    @Path("/quota")
    public Map<String, Object> quota(@Context ContainerRequestContext request) {
        String keyId = AuthFilter.caller(request).keyId();
        TrainingQuota.Limits limits = quota.limits(keyId);
        TrainingUsage usage = quota.usage(keyId);
        Map<String, Object> minutes = new LinkedHashMap<>();
        minutes.put("limit", limits.minutesPerDay());
        minutes.put("used", TrainingUsage.shown(usage.minutesUsed()));
        minutes.put("run", TrainingUsage.shown(usage.minutesRun()));
        minutes.put("committed", TrainingUsage.shown(usage.minutesCommitted()));
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("keyId", keyId);
        view.put("concurrentRuns", Map.of("limit", limits.concurrentRuns(), "used", usage.running()));
        view.put("queuedRuns", Map.of("limit", limits.queuedRuns(), "used", usage.queued()));
        view.put("trainingMinutes", minutes);
        view.put("maxUnboxedImages", limits.maxUnboxedImages());
        return view;
    }

    @GET
    @Path("/{id}")
    public Response get(@PathParam("id") String id, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        return Response.ok(view(runs.get(id, AuthFilter.caller(request)).orElseThrow(() -> TrainingRuns.unknown(id))))
                .build();
    }

    /** 202 once TrainingCancelRequested is on the topic; the run shows {@code cancelled} when the trainer stops it. */
    @DELETE
    @Path("/{id}")
    public Response cancel(@PathParam("id") String id, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        TrainingRuns.Run run = requests.cancel(id, AuthFilter.caller(request));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", run.runId());
        body.put("state", "cancelling");
        body.put("status", "/v1/trainings/" + run.runId());
        return Response.accepted(body).build();
    }

    /**
     * The run's state now and at every change, a comment line every {@code gateway.streams.heartbeat}
     * between changes, ending when the run ends. 404 for an unknown run, 429 beyond the key's open
     * streams.
     */
    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<OutboundSseEvent> events(
            @PathParam("id") String id, @Context Sse sse, @Context ContainerRequestContext request) {
        if (ModelResource.checkNames(id, null) != null) {
            throw new GatewayException(400, "invalid run id", "'" + id + "' is not a run id", "id");
        }
        if (runs.get(id, AuthFilter.caller(request)).isEmpty()) {
            throw TrainingRuns.unknown(id);
        }
        Runnable close = streams.open(AuthFilter.caller(request));
        Multi<OutboundSseEvent> changes = runs.watch(id)
                .map(run -> sse.newEventBuilder()
                        .name(run.state().name().toLowerCase(Locale.ROOT))
                        .data(Json.writeCompact(view(run)))
                        .build());
        return withHeartbeat(
                        changes,
                        config.streams().heartbeat(),
                        () -> sse.newEventBuilder().comment("heartbeat").build())
                .onTermination()
                .invoke(close);
    }

    /** {@code source}, with {@code beat} every {@code every} while it lasts; it ends when the source does. */
    static <T> Multi<T> withHeartbeat(Multi<T> source, Duration every, Supplier<T> beat) {
        return Multi.createFrom().emitter(emitter -> {
            var watching = source.subscribe().with(emitter::emit, emitter::fail, emitter::complete);
            var beating = Infrastructure.getDefaultWorkerPool()
                    .scheduleAtFixedRate(
                            () -> emitter.emit(beat.get()), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
            emitter.onTermination(() -> {
                watching.cancel();
                beating.cancel(false);
            });
        });
    }

    @GET
    @Path("/{id}/grid.png")
    @Produces({"image/png", Problems.MEDIA_TYPE})
    public Response grid(@PathParam("id") String id, @Context ContainerRequestContext request) {
        Response invalid = ModelResource.checkNames(id, null);
        if (invalid != null) {
            return invalid;
        }
        Caller caller = AuthFilter.caller(request);
        // An admin may see the grid of a run the gateway has not heard of (the command line's).
        if (runs.get(id, caller).isEmpty()
                && !(ModelAccess.isAdmin(caller) && runs.get(id).isEmpty())) {
            throw TrainingRuns.unknown(id);
        }
        return store.list(Buckets.CHECKPOINTS, id + "/samples/").stream()
                .max(Comparator.comparingLong(o -> step(o.key())))
                .map(StoredObject::key)
                .map(key -> Response.ok(store.get(Buckets.CHECKPOINTS, key), "image/png")
                        .build())
                .orElseGet(
                        () -> Problems.problem(404, "no sample grid yet", "run '" + id + "' has stored no grid yet"));
    }

    private static long step(String key) {
        String digits = key.replaceAll(".*step-(\\d+)\\.png$", "$1");
        return digits.matches("\\d+") ? Long.parseLong(digits) : -1;
    }

    static Map<String, Object> view(TrainingRuns.Run run) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("runId", run.runId());
        view.put("modelName", run.modelName());
        view.put("dataset", run.dataset());
        view.put("state", run.state().name().toLowerCase(Locale.ROOT));
        view.put("step", run.step());
        view.put("totalSteps", run.totalSteps());
        view.put("loss", Double.isFinite(run.loss()) ? run.loss() : null);
        view.put("imagesPerSecond", run.imagesPerSecond());
        view.put("etaSeconds", run.etaSeconds());
        view.put("modelVersion", run.modelVersion());
        view.put("error", run.error());
        view.put("updatedAt", run.updatedAt().toString());
        view.put("gridUrl", "/v1/trainings/" + run.runId() + "/grid.png");
        if (!run.quality().isEmpty()) {
            view.put("quality", new TreeMap<>(run.quality()));
            view.put("qualityStep", run.qualityStep());
        }
        view.put("requestedBy", run.requestedBy());
        if (run.evaluated() != null) {
            ModelEvaluated verdict = run.evaluated();
            Map<String, Object> evaluation = new LinkedHashMap<>();
            evaluation.put("version", verdict.version());
            evaluation.put("production", verdict.evaluation().production());
            evaluation.put("passed", verdict.evaluation().passed());
            evaluation.put("promoted", verdict.promoted());
            evaluation.put("reason", verdict.evaluation().reason());
            evaluation.put("outcome", verdict.outcome());
            evaluation.put("margin", verdict.evaluation().margin());
            evaluation.put(
                    "candidateMetrics", new TreeMap<>(verdict.evaluation().candidateMetrics()));
            evaluation.put(
                    "productionMetrics", new TreeMap<>(verdict.evaluation().productionMetrics()));
            view.put("evaluation", evaluation);
        }
        return view;
    }
}
