package dev.ddpm.sampler.rest;

import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.OutputFormat;
import dev.ddpm.core.api.SampleResultBody;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.json.Json;
import dev.ddpm.sampler.batching.DeadlineException;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.batching.Priority;
import dev.ddpm.sampler.batching.SamplingJob;
import dev.ddpm.sampler.grpc.CallerIdentity;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.ResultEncoder;
import dev.ddpm.sampler.service.SamplingService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Operators' synchronous sampling ({@code POST /v1/samples}): the image itself for one PNG, a grid
 * or a GIF; JSON with base64 PNGs otherwise. The public API with streaming is the gateway's.
 */
@Path("/v1/samples")
public class SampleResource {

    /** Longest a request may run without a deadline of its own. */
    private static final Duration LONGEST = Duration.ofMinutes(10);

    private final SamplingService sampling;

    public SampleResource(SamplingService sampling) {
        this.sampling = sampling;
    }

    private record Outcome(ModelManifest model, List<EncodedImage> files, double seconds) {}

    /**
     * Completes when the images are done; a client that disconnects cancels the subscription (Quarkus
     * REST cancels a pending Uni when its connection closes), which frees the job's slots.
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking // a pinned version is loaded from S3 on first use
    public Uni<Response> sample(SamplingRequest request, @HeaderParam(CallerIdentity.HEADER) String caller) {
        AtomicReference<SamplingJob> started = new AtomicReference<>();
        return Uni.createFrom()
                .<Outcome>emitter(outcome -> started.set(sampling.start(
                        null,
                        request,
                        Priority.INTERACTIVE,
                        new JobListener() {
                            /** Encodes on a worker thread, never holding up the batch's next step. */
                            @Override
                            public void completed(
                                    ModelManifest model, float[][] images, List<byte[][]> frames, double seconds) {
                                Infrastructure.getDefaultWorkerPool().execute(() -> {
                                    try {
                                        outcome.complete(new Outcome(
                                                model,
                                                ResultEncoder.encode(
                                                        request.output(),
                                                        images,
                                                        frames,
                                                        model.image().channels(),
                                                        model.image().width()),
                                                seconds));
                                    } catch (RuntimeException e) {
                                        outcome.fail(e);
                                    }
                                });
                            }

                            @Override
                            public void failed(RuntimeException error) {
                                outcome.fail(error);
                            }
                        },
                        caller)))
                .ifNoItem()
                .after(LONGEST)
                .failWith(() -> new DeadlineException("not finished in " + LONGEST.toMinutes() + " minutes"))
                .onCancellation()
                .invoke(() -> cancel(started.get()))
                .onFailure()
                .invoke(() -> cancel(started.get()))
                .map(outcome -> answer(request, outcome));
    }

    private static void cancel(SamplingJob job) {
        if (job != null) {
            job.cancel();
        }
    }

    private static Response answer(SamplingRequest request, Outcome outcome) {
        List<EncodedImage> files = outcome.files();
        if (request.output() != OutputFormat.JSON && files.size() == 1) {
            EncodedImage file = files.get(0);
            return Response.ok(file.data(), file.mediaType())
                    .header("X-Model-Version", outcome.model().version())
                    .build();
        }
        SampleResultBody json = new SampleResultBody(
                outcome.model().name(),
                outcome.model().version(),
                outcome.seconds(),
                files.stream()
                        .map(file -> new SampleResultBody.File(file.index(), file.mediaType(), file.data()))
                        .toList());
        return Response.ok(Json.write(json), MediaType.APPLICATION_JSON).build();
    }
}
