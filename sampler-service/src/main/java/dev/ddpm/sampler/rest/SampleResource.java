package dev.ddpm.sampler.rest;

import dev.ddpm.core.api.SampleBody;
import dev.ddpm.core.events.OutputFormat;
import dev.ddpm.core.json.InvalidPayloadException;
import dev.ddpm.core.json.Json;
import dev.ddpm.core.model.ModelManifest;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.QueueFullException;
import dev.ddpm.sampler.batching.SampleSpec;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import dev.ddpm.sampler.registry.UnknownModelException;
import dev.ddpm.sampler.service.InvalidSampleRequestException;
import dev.ddpm.sampler.service.SamplingService;
import dev.ddpm.service.rest.Problems;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Operators' synchronous sampling ({@code POST /v1/samples}): the image itself for one PNG, a grid
 * or a GIF; JSON with base64 PNGs otherwise. The public API with streaming is the gateway's.
 */
@Path("/v1/samples")
public class SampleResource {

    private static final long TIMEOUT_MINUTES = 10;

    private final SamplingService sampling;

    public SampleResource(SamplingService sampling) {
        this.sampling = sampling;
    }

    private record Outcome(ModelManifest model, List<EncodedImage> files, double seconds) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response sample(byte[] body) {
        SampleSpec spec;
        try {
            spec = SampleSpec.of(Json.read(body, SampleBody.class));
        } catch (InvalidPayloadException e) {
            return Problems.invalid("invalid sampling request", e);
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        SamplingJob job;
        try {
            job = sampling.start(null, spec, new JobListener() {
                @Override
                public void completed(ModelManifest model, float[][] images, List<float[][]> frames, double seconds) {
                    outcome.complete(new Outcome(model, ResultEncoder.encode(spec.output(), images, frames,
                            model.image().channels(), model.image().width()), seconds));
                }

                @Override
                public void failed(RuntimeException error) {
                    outcome.completeExceptionally(error);
                }
            });
        } catch (InvalidSampleRequestException e) {
            return Problems.builder(400, "invalid sampling request", e.getMessage(), Map.of("field", e.field())).build();
        } catch (UnknownModelException e) {
            return Problems.problem(404, "unknown model", e.getMessage());
        } catch (QueueFullException e) {
            long seconds = Math.max(1, (e.retryAfter().toMillis() + 999) / 1000);
            return Problems.builder(429, "sampler busy", e.getMessage(), Map.of()).header("Retry-After", seconds).build();
        }
        try {
            return answer(spec, outcome.get(TIMEOUT_MINUTES, TimeUnit.MINUTES));
        } catch (TimeoutException e) {
            job.cancel();
            return Problems.problem(504, "sampling timed out", "not finished in " + TIMEOUT_MINUTES + " minutes");
        } catch (ExecutionException e) {
            return Problems.problem(500, "sampling failed", e.getCause().getMessage());
        } catch (InterruptedException e) {
            job.cancel();
            Thread.currentThread().interrupt();
            return Problems.problem(503, "shutting down", "the sampler is stopping");
        }
    }

    private static Response answer(SampleSpec spec, Outcome outcome) {
        List<EncodedImage> files = outcome.files();
        if (spec.output() != OutputFormat.JSON && files.size() == 1) {
            EncodedImage file = files.get(0);
            return Response.ok(file.data(), file.mediaType())
                    .header("X-Model-Version", outcome.model().version()).build();
        }
        List<Map<String, Object>> images = new ArrayList<>();
        for (EncodedImage file : files) {
            images.add(Map.of("index", file.index(), "mediaType", file.mediaType(),
                    "data", Base64.getEncoder().encodeToString(file.data())));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", outcome.model().name());
        json.put("version", outcome.model().version());
        json.put("seconds", outcome.seconds());
        json.put("images", images);
        return Response.ok(Json.write(json), MediaType.APPLICATION_JSON).build();
    }
}
