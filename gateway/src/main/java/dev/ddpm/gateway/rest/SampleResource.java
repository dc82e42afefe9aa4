package dev.ddpm.gateway.rest;

import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SampleResultBody;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.json.Json;
import dev.ddpm.gateway.auth.AuthFilter;
import dev.ddpm.gateway.auth.Caller;
import dev.ddpm.gateway.client.SamplerClient;
import dev.ddpm.gateway.mapping.SamplerProblems;
import dev.ddpm.gateway.service.GatewayException;
import dev.ddpm.gateway.service.SamplingQuota;
import dev.ddpm.proto.common.v1.Image;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleResult;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.rest.Problems;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.util.List;

/**
 * {@code POST /v1/samples}: the image(s) in the response, or, with {@code Accept: text/event-stream},
 * progress and previews as server-sent events and then the result. Validated here (problem+json with
 * the field), then served by a sampler replica over gRPC.
 */
@Path("/v1/samples")
public class SampleResource {

    private final SamplerClient samplers;
    private final SamplingQuota quota;

    public SampleResource(SamplerClient samplers, SamplingQuota quota) {
        this.samplers = samplers;
        this.quota = quota;
    }

    /**
     * The answer once the sampler's stream ends; a client that disconnects before cancels the
     * pending Uni (Quarkus REST does on a closed connection), which cancels the sampler call.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces({"image/png", "image/gif", "video/mp4", MediaType.APPLICATION_JSON, Problems.MEDIA_TYPE})
    @Operation(
            summary = "Sample images; the image itself (png, grid, gif), JSON with base64 files (json, several"
                    + " PNGs, video), or one file of a video when Accept names its type (video/mp4 or image/gif)")
    @Blocking // the quota may read the model's manifest from S3
    public Uni<Response> sample(SamplingRequest body, @Context ContainerRequestContext request) {
        Caller caller = AuthFilter.caller(request);
        long charged = quota.charge(caller, body);
        SamplingQuota.Settlement settlement = quota.settlement(caller, charged);
        return settlement
                .of(samplers.sample(caller, body, settlement::arrived))
                .filter(SampleEvent::hasResult)
                .collect()
                .last()
                .map(last -> last == null
                        ? Problems.problem(502, "no result", "the sampler ended the stream without a result")
                        : answer(body, last.getResult(), request.getHeaderString("Accept")))
                .onFailure()
                .recoverWithItem(SampleResource::failure);
    }

    /** One file as itself, where the request makes one or the client accepts only one of its types; JSON otherwise. */
    private static Response answer(SamplingRequest body, SampleResult result, String accept) {
        if (body.output() != OutputFormat.JSON) {
            List<Image> wanted = result.getImagesCount() == 1
                    ? result.getImagesList()
                    : result.getImagesList().stream()
                            .filter(image -> accept != null
                                    && !accept.contains(MediaType.APPLICATION_JSON)
                                    && !accept.contains("*/*")
                                    && accept.contains(image.getMediaType()))
                            .toList();
            if (wanted.size() == 1) {
                Image image = wanted.get(0);
                return Response.ok(image.getData().toByteArray(), image.getMediaType())
                        .header("X-Model-Version", result.getModel().getVersion())
                        .build();
            }
        }
        return Response.ok(Json.write(resultJson(result)), MediaType.APPLICATION_JSON)
                .build();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Sample images, streamed: progress and preview events, then result (or error)")
    @Blocking
    public Multi<OutboundSseEvent> stream(
            SamplingRequest body, @Context Sse sse, @Context ContainerRequestContext request) {
        Caller caller = AuthFilter.caller(request);
        long charged;
        try {
            charged = quota.charge(caller, body);
        } catch (GatewayException e) {
            return Multi.createFrom().item(error(sse, e.problem()));
        }
        SamplingQuota.Settlement settlement = quota.settlement(caller, charged);
        return settlement
                .of(samplers.sample(caller, body, settlement::arrived))
                .map(event -> event(sse, event))
                .onFailure()
                .recoverWithItem(e -> error(sse, SamplerProblems.of(e)));
    }

    /**
     * The SSE {@code progress} event's data, its fields in this order; {@code previewEvery} is the
     * interval in effect (the one asked, raised to the sampler's cap on previews; 0: none).
     */
    record ProgressEvent(int step, int totalSteps, double etaSeconds, int queuePosition, int previewEvery) {}

    /** The SSE {@code preview} event's data: the predicted x_0 as a base64 PNG. */
    record PreviewEvent(int step, int index, byte[] png) {}

    private static OutboundSseEvent event(Sse sse, SampleEvent event) {
        Object data;
        String name;
        if (event.hasProgress()) {
            name = "progress";
            data = new ProgressEvent(
                    event.getProgress().getStep(),
                    event.getProgress().getTotalSteps(),
                    event.getProgress().getEtaSeconds(),
                    event.getProgress().getQueuePosition(),
                    event.getProgress().getPreviewEvery());
        } else if (event.hasPreview()) {
            name = "preview";
            data = new PreviewEvent(
                    event.getPreview().getStep(),
                    event.getPreview().getIndex(),
                    event.getPreview().getPng().toByteArray());
        } else {
            name = "result";
            data = resultJson(event.getResult());
        }
        return sse.newEventBuilder().name(name).data(Json.writeCompact(data)).build();
    }

    /** The SSE {@code error} event: the problem+json members the same failure has as a plain response. */
    private static OutboundSseEvent error(Sse sse, Problem problem) {
        return sse.newEventBuilder()
                .name("error")
                .data(Json.writeCompact(problem.body()))
                .build();
    }

    static SampleResultBody resultJson(SampleResult result) {
        return new SampleResultBody(
                result.getModel().getName(),
                result.getModel().getVersion(),
                result.getSeconds(),
                result.getImagesList().stream()
                        .map(image -> new SampleResultBody.File(
                                image.getIndex(),
                                image.getMediaType(),
                                image.getData().toByteArray()))
                        .toList());
    }

    private static Response failure(Throwable e) {
        return Problems.response(SamplerProblems.of(e));
    }
}
