package dev.ddpm.sampler.grpc;

import com.google.protobuf.ByteString;
import dev.ddpm.core.api.ModelManifest;
import dev.ddpm.core.api.SamplingRequest;
import dev.ddpm.core.image.ImageEncoding;
import dev.ddpm.proto.common.v1.Image;
import dev.ddpm.proto.common.v1.ModelRef;
import dev.ddpm.proto.common.v1.Preview;
import dev.ddpm.proto.common.v1.Progress;
import dev.ddpm.proto.common.v1.SampleEvent;
import dev.ddpm.proto.common.v1.SampleResult;
import dev.ddpm.sampler.batching.JobListener;
import dev.ddpm.sampler.output.EncodedImage;
import dev.ddpm.sampler.output.PreviewEncoder;
import dev.ddpm.sampler.output.ResultEncoder;
import dev.ddpm.service.grpc.GrpcProblems;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Sample call's stream, written at the pace its reader takes it (gRPC flow control): progress
 * is sent while the call is ready and otherwise kept as the newest only; previews wait as the
 * newest one per image and are encoded as PNG on the {@link PreviewEncoder}'s threads, one image at
 * a time while the call is ready, so that a slow reader costs at most one pending preview per image
 * and a lagging reader gets fewer previews, never a growing buffer. The result or the error is
 * always sent, after whatever progress is still pending (and, when the reader keeps up, the last
 * preview of each image). Every write is made under this object's
 * lock (a gRPC stream takes one writer at a time).
 */
final class SampleStream implements JobListener {

    /** How long the result waits for previews being encoded when it is ready. */
    private static final long FLUSH_WAIT_NANOS = 2_000_000_000L;

    private record PendingPreview(ModelManifest.Image image, int step, float[] predictedX0) {}

    private final ServerCallStreamObserver<SampleEvent> call;
    private final SamplingRequest requested;
    private final PreviewEncoder encoder;
    private final Counter sent;
    private final Counter superseded;
    private volatile int previewEvery;
    /** Guarded by this: the newest progress not sent yet. */
    private SampleEvent pendingProgress;
    /** Guarded by this: per image, the newest preview not sent yet. */
    private final Map<Integer, PendingPreview> pendingPreviews = new TreeMap<>();

    private boolean draining;
    /** Guarded by this: previews taken off {@link #pendingPreviews} and not yet sent or skipped. */
    private int encoding;

    private boolean ended;

    SampleStream(
            ServerCallStreamObserver<SampleEvent> call,
            SamplingRequest requested,
            PreviewEncoder encoder,
            MeterRegistry meters) {
        this.call = call;
        this.requested = requested;
        this.encoder = encoder;
        this.previewEvery = requested.previewEvery();
        this.sent = meters.counter("ddpm_sampler_previews_total", "outcome", "sent");
        this.superseded = meters.counter("ddpm_sampler_previews_total", "outcome", "superseded");
        call.setOnReadyHandler(this::onReady);
    }

    @Override
    public void resolved(SamplingRequest spec) {
        previewEvery = spec.previewEvery();
    }

    @Override
    public synchronized void progress(int step, int totalSteps, double etaSeconds, int queuePosition) {
        if (ended) {
            return;
        }
        pendingProgress = SampleEvent.newBuilder()
                .setProgress(Progress.newBuilder()
                        .setStep(step)
                        .setTotalSteps(totalSteps)
                        .setEtaSeconds(Double.isFinite(etaSeconds) ? etaSeconds : 0)
                        .setQueuePosition(queuePosition)
                        .setPreviewEvery(previewEvery))
                .build();
        if (call.isReady()) {
            sendPendingProgress();
        }
    }

    @Override
    public synchronized void preview(ModelManifest.Image image, int step, int index, float[] predictedX0) {
        if (ended) {
            return;
        }
        if (pendingPreviews.put(index, new PendingPreview(image, step, predictedX0)) != null) {
            superseded.increment();
        }
        scheduleDrain();
    }

    /** The call can take more: what waited goes out. */
    private synchronized void onReady() {
        if (ended) {
            return;
        }
        sendPendingProgress();
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (draining || pendingPreviews.isEmpty() || !call.isReady()) {
            return;
        }
        draining = encoder.submit(this::drain);
    }

    /**
     * On an encoder thread (or the result's worker before the result): previews, oldest image index
     * first, while the call is ready.
     */
    private void drain() {
        while (true) {
            int index;
            PendingPreview preview;
            synchronized (this) {
                if (ended || pendingPreviews.isEmpty() || !call.isReady()) {
                    draining = false;
                    return;
                }
                Map.Entry<Integer, PendingPreview> next =
                        ((TreeMap<Integer, PendingPreview>) pendingPreviews).pollFirstEntry();
                index = next.getKey();
                preview = next.getValue();
                encoding++;
            }
            try {
                encodeAndSend(index, preview);
            } finally {
                synchronized (this) {
                    encoding--;
                    notifyAll();
                }
            }
        }
    }

    /** One preview, encoded outside the lock and sent under it (not once the stream has ended). */
    private void encodeAndSend(int index, PendingPreview preview) {
        SampleEvent event;
        try {
            event = SampleEvent.newBuilder()
                    .setPreview(Preview.newBuilder()
                            .setStep(preview.step())
                            .setIndex(index)
                            .setPng(ByteString.copyFrom(ImageEncoding.png(
                                    preview.predictedX0(),
                                    preview.image().channels(),
                                    preview.image().width()))))
                    .build();
        } catch (RuntimeException e) {
            return; // a preview that cannot be encoded is skipped; the result decides the request
        }
        synchronized (this) {
            if (ended || call.isCancelled()) {
                return;
            }
            sendPendingProgress();
            call.onNext(event);
            sent.increment();
        }
    }

    /**
     * Before the result: a reader that keeps up gets the last preview of each image, those still
     * pending and those an encoder thread is encoding now (waited for, briefly).
     */
    private void flushPreviews() {
        drain();
        long deadline = System.nanoTime() + FLUSH_WAIT_NANOS;
        synchronized (this) {
            long left;
            while (encoding > 0 && !ended && (left = deadline - System.nanoTime()) > 0) {
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The client reset the call: nothing more is written to it (see SamplerGrpcService). */
    synchronized void cancelled() {
        ended = true;
        pendingPreviews.clear();
        pendingProgress = null;
        notifyAll();
    }

    private void sendPendingProgress() {
        if (pendingProgress != null && !call.isCancelled()) {
            SampleEvent progress = pendingProgress;
            pendingProgress = null;
            call.onNext(progress);
        }
    }

    /** Encodes on a worker thread: a large grid or GIF must not hold up the batch's next step. */
    @Override
    public void completed(ModelManifest model, float[][] images, List<byte[][]> frames, double seconds) {
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            SampleEvent result;
            try {
                SampleResult.Builder built = SampleResult.newBuilder()
                        .setModel(ModelRef.newBuilder().setName(model.name()).setVersion(model.version()))
                        .setSeconds(seconds);
                for (EncodedImage file : ResultEncoder.encode(
                        requested.output(),
                        images,
                        frames,
                        model.image().channels(),
                        model.image().width())) {
                    built.addImages(Image.newBuilder()
                            .setIndex(file.index())
                            .setData(ByteString.copyFrom(file.data()))
                            .setMediaType(file.mediaType()));
                }
                result = SampleEvent.newBuilder().setResult(built).build();
            } catch (RuntimeException e) {
                failed(e);
                return;
            }
            flushPreviews();
            end(result, null);
        });
    }

    @Override
    public void failed(RuntimeException error) {
        end(null, error);
    }

    /**
     * The last write: pending progress, then the result or the error; previews still pending (the
     * reader was behind, or the error came first) are dropped.
     */
    private synchronized void end(SampleEvent result, RuntimeException error) {
        if (ended) {
            return;
        }
        ended = true;
        pendingPreviews.clear();
        if (call.isCancelled()) {
            return; // the client is gone: a write now would break the connection for its other calls
        }
        try {
            if (result != null) {
                sendPendingProgress();
                call.onNext(result);
                call.onCompleted();
            } else {
                call.onError(GrpcProblems.status(error));
            }
        } catch (RuntimeException e) {
            // the call was cancelled or closed meanwhile: nobody is left to tell
        }
    }
}
