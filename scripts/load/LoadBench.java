import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;

/**
 * A load generator for the local stack's gateway: N concurrent clients with a valid key, each of one
 * class (plain sampling, SSE with previews, data set uploads, slow SSE readers, clients that abandon a
 * heavy request), for a fixed time; the gateway's and the sampler's heap, threads and RSS sampled
 * every second. Run with the JDK alone (a single-file source program, no dependencies):
 *
 * <pre>java scripts/load/LoadBench.java --url http://127.0.0.1:38080 --key KEY --model NAME [options]</pre>
 *
 * Bounded: only loopback targets, a request cap, a per-request timeout, and a hard end at the load's
 * end plus that timeout plus the drain watch. Writes report.txt, report.json and resources.csv to --out.
 * Exit status: 0 when 5xx and lost requests are both 0, 1 when not, 2 when it could not run.
 */
public class LoadBench {

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
            options.refuseNonLoopback();
        } catch (IllegalArgumentException e) {
            System.err.println("load-bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new LoadBench(options).run());
    }

    enum Kind {
        OK,
        REFUSED,
        CLIENT_ERROR,
        SERVER_ERROR,
        ABANDONED,
        LOST
    }

    /** One request's end: a status label for the histogram, what kind of end it is, and its latency. */
    record Outcome(String clazz, long id, String label, Kind kind, double millis, int previews, String detail, int retryAfter) {}

    /** A request sent and not yet ended, for the lost list should the run end before it does. */
    record Pending(String clazz, long id, long startNanos) {}

    private final Options o;
    private final HttpClient http;
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, daemon("load-timer"));
    private final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final byte[] dataset;
    private final Monitor monitor;
    private long loadStart;
    private long loadEnd;

    LoadBench(Options o) throws IOException {
        this.o = o;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newCachedThreadPool(daemon("load-http")))
                .build();
        this.dataset = zipOfPngs(o.uploadImages, o.uploadSize);
        this.monitor = new Monitor(o, pending::size);
    }

    int run() throws Exception {
        Files.createDirectories(o.out);
        List<String> classes = o.assignClasses();
        System.out.printf(
                "[load] %d clients (%s) for %d s against %s, model %s; data set upload %d bytes%n",
                o.clients, o.mixDescription(classes), o.seconds, o.url, o.model, dataset.length);
        Thread monitorThread = new Thread(monitor, "load-monitor");
        monitorThread.setDaemon(true);
        monitorThread.start();

        loadStart = System.nanoTime();
        long endAt = loadStart + TimeUnit.SECONDS.toNanos(o.seconds);
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < classes.size(); i++) {
            int client = i;
            String clazz = classes.get(i);
            Thread t = new Thread(() -> clientLoop(client, clazz, endAt), "load-client-" + i);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
        // Every client ends by itself within its request timeout after endAt; past that, what is still
        // pending is lost, and the threads are left to the process's end (they are daemons).
        long hardEnd = endAt + TimeUnit.SECONDS.toNanos(o.requestTimeout + 5);
        for (Thread t : clients) {
            long left = hardEnd - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
        stop.set(true);
        loadEnd = System.nanoTime();
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p == null) {
                continue; // it ended just now, and its client counted it
            }
            outcomes.add(new Outcome(
                    p.clazz(), p.id(), "no answer", Kind.LOST, millisSince(p.startNanos()), 0,
                    "still without a terminal answer when the run ended", 0));
        }
        Drain drain = monitor.watchDrain(endAt, o.drainSeconds);
        monitor.stop();
        monitorThread.join(3000);
        Report report = new Report(o, classes, new ArrayList<>(outcomes), monitor, drain,
                (loadEnd - loadStart) / 1e9, dataset.length);
        String text = report.text();
        System.out.print(text);
        Files.writeString(o.out.resolve("report.txt"), text);
        Files.writeString(o.out.resolve("report.json"), report.json());
        Files.writeString(o.out.resolve("resources.csv"), monitor.csv());
        System.out.println("[load] report in " + o.out.resolve("report.txt") + " and report.json, "
                + "resources every second in resources.csv");
        return report.targetsMet() ? 0 : 1;
    }

    // --- the clients ----------------------------------------------------------------------------------

    private void clientLoop(int client, String clazz, long endAt) {
        Random random = new Random(client);
        int n = 0;
        while (!stop.get() && System.nanoTime() < endAt) {
            long id = ids.incrementAndGet();
            if (id > o.maxRequests) {
                return;
            }
            long start = System.nanoTime();
            pending.put(id, new Pending(clazz, id, start));
            Outcome outcome;
            try {
                outcome = switch (clazz) {
                    case "plain" -> plain(id, random.nextLong());
                    case "sse" -> sse(id, clazz, random.nextLong(), o.count, false);
                    case "slow" -> sse(id, clazz, random.nextLong(), o.slowCount, true);
                    case "upload" -> upload(id, client, n % 2 == 1);
                    case "disconnect" -> disconnect(id, random.nextLong(), n % 2 == 1);
                    default -> throw new IllegalStateException(clazz);
                };
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                outcome = lost(clazz, id, start, "client failure: " + e);
            }
            if (pending.remove(id) != null) {
                outcomes.add(outcome);
            }
            n++;
            if (outcome.kind() == Kind.REFUSED) {
                // A client told to come back later does, but never past the load's end.
                long wait = TimeUnit.SECONDS.toNanos(Math.min(Math.max(outcome.retryAfter(), 1), 5));
                sleepNanos(Math.min(wait, endAt - System.nanoTime()));
            }
        }
    }

    private Outcome plain(long id, long seed) throws InterruptedException {
        String body = String.format(
                Locale.ROOT, "{\"model\":\"%s\",\"count\":%d,\"seed\":%d}", o.model, o.count, seed & 0xffffffffL);
        return exchange("plain", id, post("/v1/samples", body, "image/png"), o.requestTimeout * 1000L, true);
    }

    /** A success without its answer (an image request whose 200 has no bytes): lost, not ok. */
    private static final String EMPTY = "a 2xx with an empty body";

    /** Sends, waits for the whole answer up to the timeout, and classifies it. */
    private Outcome exchange(String clazz, long id, HttpRequest request, long timeoutMillis, boolean answerIsBody)
            throws InterruptedException {
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<byte[]>> future = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            HttpResponse<byte[]> response = future.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return classify(clazz, id, start, response.statusCode(), response.headers().firstValue("Retry-After"),
                    answerIsBody && response.body().length == 0 && response.statusCode() < 300
                            ? EMPTY
                            : brief(response.body()));
        } catch (TimeoutException e) {
            future.cancel(true);
            return lost(clazz, id, start, "no answer within " + timeoutMillis / 1000 + " s");
        } catch (ExecutionException e) {
            return lost(clazz, id, start, "no status: " + rootMessage(e));
        }
    }

    private Outcome classify(String clazz, long id, long start, int status, java.util.Optional<String> retryAfter, String detail) {
        double millis = millisSince(start);
        int retry = retryAfter.map(LoadBench::seconds).orElse(0);
        Kind kind;
        if (status >= 200 && status < 300) {
            kind = detail.equals(EMPTY) ? Kind.LOST : Kind.OK;
        } else if (status == 429 || (status == 503 && retryAfter.isPresent())) {
            kind = Kind.REFUSED;
        } else if (status >= 500) {
            kind = Kind.SERVER_ERROR;
        } else {
            kind = Kind.CLIENT_ERROR;
        }
        String label = Integer.toString(status) + (status == 503 && retryAfter.isPresent() ? " (Retry-After)" : "");
        return new Outcome(clazz, id, label, kind, millis, 0, kind == Kind.OK ? "" : detail, retry);
    }

    private Outcome sse(long id, String clazz, long seed, int count, boolean slowly) throws InterruptedException {
        String body = String.format(
                Locale.ROOT, "{\"model\":\"%s\",\"count\":%d,\"previewEvery\":%d,\"seed\":%d}",
                o.model, count, o.previewEvery, seed & 0xffffffffL);
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(o.requestTimeout);
        CompletableFuture<HttpResponse<InputStream>> future =
                http.sendAsync(post("/v1/samples", body, "text/event-stream"), HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
            response = future.get(o.requestTimeout, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return lost(clazz, id, start, "no status within " + o.requestTimeout + " s");
        } catch (ExecutionException e) {
            return lost(clazz, id, start, "no status: " + rootMessage(e));
        }
        if (response.statusCode() != 200) {
            return classify(clazz, id, start, response.statusCode(), response.headers().firstValue("Retry-After"),
                    readBrief(response.body()));
        }
        InputStream in = slowly ? new Throttled(response.body(), o.slowChunk, o.slowBytesPerSecond) : response.body();
        AtomicBoolean timedOut = new AtomicBoolean();
        // Closing the stream ends a read that waits past the deadline; the run's hard end backs it up.
        var closer = timers.schedule(() -> {
            timedOut.set(true);
            closeQuietly(response.body());
        }, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        int previews = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String event = null;
            StringBuilder data = new StringBuilder();
            boolean paused = !slowly;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).trim());
                } else if (line.isEmpty() && event != null) {
                    switch (event) {
                        case "preview" -> previews++;
                        case "result" -> {
                            return new Outcome(clazz, id, "200+result", Kind.OK, millisSince(start), previews, "", 0);
                        }
                        case "error" -> {
                            return streamError(clazz, id, start, previews, data.toString());
                        }
                        default -> { }
                    }
                    if (!paused) {
                        // A reader that stops reading for a while after the first event, then reads slowly.
                        paused = true;
                        sleepNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(o.slowPauseMs), deadline - System.nanoTime()));
                    }
                    event = null;
                    data.setLength(0);
                }
            }
            return new Outcome(clazz, id, "200+ended", Kind.LOST, millisSince(start), previews,
                    "the stream ended without result or error after " + previews + " previews", 0);
        } catch (IOException e) {
            return new Outcome(clazz, id, timedOut.get() ? "200+timeout" : "200+broken", Kind.LOST, millisSince(start),
                    previews, timedOut.get() ? "no result or error within " + o.requestTimeout + " s"
                            : "the stream broke without result or error: " + e.getMessage(), 0);
        } finally {
            closer.cancel(false);
        }
    }

    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*(\\d+)");

    private Outcome streamError(String clazz, long id, long start, int previews, String data) {
        Matcher m = STATUS.matcher(data);
        int status = m.find() ? Integer.parseInt(m.group(1)) : 0;
        Kind kind = status == 429 ? Kind.REFUSED : status >= 500 || status == 0 ? Kind.SERVER_ERROR : Kind.CLIENT_ERROR;
        return new Outcome(clazz, id, "200+error " + status, kind, millisSince(start), previews, brief(data), 1);
    }

    private Outcome upload(long id, int client, boolean unknownLength) throws InterruptedException {
        // Each client writes over its own object, so the run's data stays a few files whatever its length.
        URI uri = o.url.resolve("/v1/datasets/loadbench-" + client + "?file=images.zip");
        HttpRequest.BodyPublisher publisher = unknownLength
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(dataset))
                : HttpRequest.BodyPublishers.ofByteArray(dataset);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("X-API-Key", o.key)
                .header("Content-Type", "application/octet-stream")
                .POST(publisher)
                .build();
        Outcome outcome = exchange("upload", id, request, o.requestTimeout * 1000L, false);
        return unknownLength && outcome.kind() != Kind.LOST
                ? new Outcome(outcome.clazz(), id, outcome.label() + " chunked", outcome.kind(), outcome.millis(),
                        0, outcome.detail(), outcome.retryAfter())
                : outcome;
    }

    /** A heavy request (DDPM with every step) abandoned after a moment, as an image or as a stream. */
    private Outcome disconnect(long id, long seed, boolean asStream) throws InterruptedException {
        String body = String.format(
                Locale.ROOT, "{\"model\":\"%s\",\"count\":%d,\"sampler\":\"ddpm\",\"steps\":%d,\"seed\":%d%s}",
                o.model, o.heavyCount, o.heavySteps, seed & 0xffffffffL, asStream ? ",\"previewEvery\":" + o.previewEvery : "");
        String clazz = "disconnect";
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<InputStream>> future = http.sendAsync(
                post("/v1/samples", body, asStream ? "text/event-stream" : "image/png"),
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response;
        try {
            response = future.get(o.abandonMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Outcome(clazz, id, "abandoned " + (asStream ? "sse" : "png") + " before headers",
                    Kind.ABANDONED, millisSince(start), 0, "", 0);
        } catch (ExecutionException e) {
            return lost(clazz, id, start, "no status: " + rootMessage(e));
        }
        if (response.statusCode() != 200) {
            return classify(clazz, id, start, response.statusCode(), response.headers().firstValue("Retry-After"),
                    readBrief(response.body()));
        }
        // The stream's headers came: leave it unread until the moment, then hang up.
        sleepNanos(start + TimeUnit.MILLISECONDS.toNanos(o.abandonMs) - System.nanoTime());
        closeQuietly(response.body());
        return new Outcome(clazz, id, "abandoned " + (asStream ? "sse" : "png") + " after headers",
                Kind.ABANDONED, millisSince(start), 0, "", 0);
    }

    private HttpRequest post(String path, String json, String accept) {
        return HttpRequest.newBuilder(o.url.resolve(path))
                .header("X-API-Key", o.key)
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
    }

    private Outcome lost(String clazz, long id, long start, String why) {
        return new Outcome(clazz, id, "no answer", Kind.LOST, millisSince(start), 0, why, 0);
    }

    // --- helpers ----------------------------------------------------------------------------------

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    static double millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    static void sleepNanos(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int seconds(String retryAfter) {
        try {
            return Integer.parseInt(retryAfter.trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    static String brief(byte[] body) {
        return brief(new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8));
    }

    static String brief(String s) {
        String one = s.replaceAll("\\s+", " ").trim();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }

    static String readBrief(InputStream in) {
        try (in) {
            return brief(in.readNBytes(400));
        } catch (IOException e) {
            return "(body unreadable: " + e.getMessage() + ")";
        }
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // hanging up is all that is wanted
        }
    }

    /** A small data set as the gateway takes it: a zip of random grey PNGs. */
    static byte[] zipOfPngs(int images, int size) throws IOException {
        Random random = new Random(42);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            for (int i = 0; i < images; i++) {
                BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int v = random.nextInt(256);
                        image.setRGB(x, y, (v << 16) | (v << 8) | v);
                    }
                }
                ByteArrayOutputStream png = new ByteArrayOutputStream();
                ImageIO.write(image, "png", png);
                out.putNextEntry(new ZipEntry(String.format(Locale.ROOT, "img-%04d.png", i)));
                out.write(png.toByteArray());
                out.closeEntry();
            }
        }
        return zip.toByteArray();
    }

    /** Hands an input stream on at a fixed byte rate (what it reads, then a sleep for its share): a slow reader. */
    static final class Throttled extends InputStream {
        private final InputStream in;
        private final int chunk;
        private final long nanosPerByte;

        Throttled(InputStream in, int chunk, int bytesPerSecond) {
            this.in = in;
            this.chunk = chunk;
            this.nanosPerByte = TimeUnit.SECONDS.toNanos(1) / bytesPerSecond;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, Math.min(len, chunk));
            if (n > 0) {
                sleepNanos(n * nanosPerByte);
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    // --- options ------------------------------------------------------------------------------------

    static final class Options {
        URI url;
        String key = "ddpm-local-key";
        String model;
        int clients = 50;
        int seconds = 300;
        String mix = "plain=3,sse=2,upload=2,slow=2,disconnect=1";
        int requestTimeout = 120;
        long maxRequests = 200_000;
        Path out = Path.of(".run/load/report");
        int count = 4;
        int slowCount = 16;
        int previewEvery = 1;
        int heavyCount = 8;
        int heavySteps = 1000;
        long abandonMs = 1500;
        long slowPauseMs = 10_000;
        int slowChunk = 4096;
        int slowBytesPerSecond = 16 * 1024;
        int uploadImages = 64;
        int uploadSize = 32;
        int drainSeconds = 60;
        URI samplerUrl;
        long gatewayPid;
        long samplerPid;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (!name.startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --name value pairs, at " + name);
                }
                String v = args[++i];
                try {
                    switch (name) {
                        case "--url" -> o.url = URI.create(v);
                        case "--key" -> o.key = v;
                        case "--model" -> o.model = v;
                        case "--clients" -> o.clients = positive(name, Integer.parseInt(v), 2000);
                        case "--seconds" -> o.seconds = positive(name, Integer.parseInt(v), 86_400);
                        case "--mix" -> o.mix = v;
                        case "--request-timeout" -> o.requestTimeout = positive(name, Integer.parseInt(v), 3600);
                        case "--max-requests" -> o.maxRequests = positive(name, Integer.parseInt(v), 10_000_000);
                        case "--out" -> o.out = Path.of(v);
                        case "--count" -> o.count = positive(name, Integer.parseInt(v), 64);
                        case "--slow-count" -> o.slowCount = positive(name, Integer.parseInt(v), 64);
                        case "--preview-every" -> o.previewEvery = positive(name, Integer.parseInt(v), 10_000);
                        case "--heavy-count" -> o.heavyCount = positive(name, Integer.parseInt(v), 64);
                        case "--heavy-steps" -> o.heavySteps = positive(name, Integer.parseInt(v), 10_000);
                        case "--abandon-ms" -> o.abandonMs = positive(name, Integer.parseInt(v), 600_000);
                        case "--slow-pause-ms" -> o.slowPauseMs = Long.parseLong(v);
                        case "--slow-chunk" -> o.slowChunk = positive(name, Integer.parseInt(v), 1 << 20);
                        case "--slow-bytes-per-second" -> o.slowBytesPerSecond = positive(name, Integer.parseInt(v), 1 << 30);
                        case "--upload-images" -> o.uploadImages = positive(name, Integer.parseInt(v), 10_000);
                        case "--upload-size" -> o.uploadSize = positive(name, Integer.parseInt(v), 512);
                        case "--drain-seconds" -> o.drainSeconds = Integer.parseInt(v);
                        case "--sampler-url" -> o.samplerUrl = URI.create(v);
                        case "--gateway-pid" -> o.gatewayPid = Long.parseLong(v);
                        case "--sampler-pid" -> o.samplerPid = Long.parseLong(v);
                        default -> throw new IllegalArgumentException("unknown option " + name);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + " takes a number, not '" + v + "'");
                }
            }
            if (o.url == null || o.model == null) {
                throw new IllegalArgumentException("--url and --model are required");
            }
            o.assignClasses();
            return o;
        }

        static int positive(String name, long v, long max) {
            if (v < 1 || v > max) {
                throw new IllegalArgumentException(name + " must be 1.." + max + ", not " + v);
            }
            return (int) v;
        }

        /** Loopback only: the benchmark is hostile on purpose, so it must never reach another machine. */
        void refuseNonLoopback() {
            for (URI u : samplerUrl == null ? List.of(url) : List.of(url, samplerUrl)) {
                if (!"http".equals(u.getScheme()) || u.getHost() == null) {
                    throw new IllegalArgumentException(u + " is not an http:// address");
                }
                try {
                    for (InetAddress a : InetAddress.getAllByName(u.getHost())) {
                        if (!a.isLoopbackAddress()) {
                            throw new IllegalArgumentException("refusing " + u + ": " + u.getHost()
                                    + " resolves to " + a.getHostAddress() + ", not a loopback address");
                        }
                    }
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalArgumentException("refusing " + u + ": " + u.getHost() + " does not resolve");
                }
            }
        }

        /** Each client's class: the mix's weights spread over the clients in order, largest remainder first. */
        List<String> assignClasses() {
            Map<String, Integer> weights = new LinkedHashMap<>();
            for (String part : mix.split(",")) {
                String[] kv = part.trim().split("=");
                if (kv.length != 2 || !List.of("plain", "sse", "upload", "slow", "disconnect").contains(kv[0])) {
                    throw new IllegalArgumentException("--mix takes class=weight pairs of plain, sse, upload, slow,"
                            + " disconnect; not '" + part + "'");
                }
                weights.put(kv[0], Integer.parseInt(kv[1]));
            }
            int total = weights.values().stream().mapToInt(Integer::intValue).sum();
            if (total <= 0) {
                throw new IllegalArgumentException("--mix needs a positive weight");
            }
            List<String> classes = new ArrayList<>();
            Map<String, Double> remainders = new LinkedHashMap<>();
            for (var e : weights.entrySet()) {
                double share = (double) clients * e.getValue() / total;
                for (int i = 0; i < (int) share; i++) {
                    classes.add(e.getKey());
                }
                remainders.put(e.getKey(), share - (int) share);
            }
            List<String> byRemainder = new ArrayList<>(remainders.keySet());
            byRemainder.sort((a, b) -> Double.compare(remainders.get(b), remainders.get(a)));
            for (int i = 0; classes.size() < clients; i++) {
                classes.add(byRemainder.get(i % byRemainder.size()));
            }
            return classes;
        }

        String mixDescription(List<String> classes) {
            Map<String, Integer> n = new LinkedHashMap<>();
            for (String c : classes) {
                n.merge(c, 1, Integer::sum);
            }
            StringBuilder s = new StringBuilder();
            n.forEach((c, k) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(c));
            return s.toString();
        }
    }

    // --- resources --------------------------------------------------------------------------------

    /** The requests (running and waiting) the sampler held when the load ended, and how long it took to let go of them. */
    record Drain(double activeAtEnd, double backlogAtEnd, double secondsToIdle, double activeAfter) {}

    /** Every second: each service's heap and live threads (its /q/metrics) and RSS (/proc). */
    static final class Monitor implements Runnable {
        private final Options o;
        private final java.util.function.IntSupplier inFlight;
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        private final List<double[]> rows = Collections.synchronizedList(new ArrayList<>());
        private final long start = System.nanoTime();
        private volatile boolean running = true;
        final Map<String, Double> peaks = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> unanswered = new ConcurrentHashMap<>();
        volatile Map<String, Double> lastSampler = Map.of();

        static final String[] COLUMNS = {
            "seconds", "gateway_heap_mib", "gateway_rss_mib", "gateway_threads", "sampler_heap_mib",
            "sampler_rss_mib", "sampler_threads", "sampler_active_requests", "sampler_waiting_requests",
            "sampler_backlog_evaluations", "requests_in_flight"
        };

        Monitor(Options o, java.util.function.IntSupplier inFlight) {
            this.o = o;
            this.inFlight = inFlight;
        }

        @Override
        public void run() {
            while (running) {
                long next = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                sample();
                sleepNanos(next - System.nanoTime());
            }
        }

        void stop() {
            running = false;
        }

        private void sample() {
            Map<String, Double> g = metrics("gateway", o.url);
            Map<String, Double> s = o.samplerUrl == null ? Map.of() : metrics("sampler", o.samplerUrl);
            if (!s.isEmpty()) {
                lastSampler = s;
            }
            double[] row = {
                (System.nanoTime() - start) / 1e9,
                mib(g.get("heap")), rssMib(o.gatewayPid, "VmRSS"), orNaN(g.get("threads")),
                mib(s.get("heap")), rssMib(o.samplerPid, "VmRSS"), orNaN(s.get("threads")),
                orNaN(s.get("active")), orNaN(s.get("waiting")), orNaN(s.get("backlog")), inFlight.getAsInt()
            };
            rows.add(row);
            for (int i = 1; i < row.length; i++) {
                if (!Double.isNaN(row[i])) {
                    peaks.merge(COLUMNS[i], row[i], Math::max);
                }
            }
        }

        private Map<String, Double> metrics(String service, URI base) {
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(base.resolve("/q/metrics")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    unanswered.computeIfAbsent(service, k -> new AtomicLong()).incrementAndGet();
                    return Map.of();
                }
                Map<String, Double> m = new TreeMap<>();
                for (String line : r.body().split("\n")) {
                    if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                        m.merge("heap", value(line), Double::sum);
                    } else if (line.startsWith("jvm_threads_live_threads")) {
                        m.put("threads", value(line));
                    } else if (line.startsWith("ddpm_sampler_active_requests")) {
                        m.put("active", value(line));
                    } else if (line.startsWith("ddpm_sampler_queue_depth")) {
                        m.put("waiting", value(line));
                    } else if (line.startsWith("ddpm_sampler_backlog_evaluations")) {
                        m.put("backlog", value(line));
                    }
                }
                return m;
            } catch (IOException e) {
                unanswered.computeIfAbsent(service, k -> new AtomicLong()).incrementAndGet();
                return Map.of();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Map.of();
            }
        }

        /**
         * What the sampler held when the load ended (the first sample after it), and how long after that
         * it first held nothing: watched until {@code seconds} past the load's end, or now if later.
         */
        Drain watchDrain(long endAtNanos, int seconds) {
            if (o.samplerUrl == null) {
                return null;
            }
            double end = (endAtNanos - start) / 1e9;
            long deadline = Math.max(System.nanoTime(), endAtNanos + TimeUnit.SECONDS.toNanos(seconds));
            double[] atEnd = null;
            double idle = Double.NaN;
            double last = Double.NaN;
            while (true) {
                synchronized (rows) {
                    for (double[] row : rows) {
                        if (row[0] < end || Double.isNaN(row[7])) {
                            continue;
                        }
                        if (atEnd == null) {
                            atEnd = row;
                        }
                        last = held(row);
                        if (last == 0 && Double.isNaN(idle)) {
                            idle = row[0] - end;
                        }
                    }
                }
                if (!Double.isNaN(idle) || System.nanoTime() >= deadline) {
                    break;
                }
                sleepNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
            return atEnd == null
                    ? new Drain(Double.NaN, Double.NaN, idle, last)
                    : new Drain(held(atEnd), atEnd[9], idle, last);
        }

        /** Requests the sampler holds in a sample: running and waiting for a place. */
        static double held(double[] row) {
            return row[7] + (Double.isNaN(row[8]) ? 0 : row[8]);
        }

        static double value(String line) {
            String[] parts = line.trim().split("\\s+");
            try {
                return Double.parseDouble(parts[parts.length - 1]);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        static double orNaN(Double v) {
            return v == null ? Double.NaN : v;
        }

        static double mib(Double bytes) {
            return bytes == null ? Double.NaN : bytes / (1 << 20);
        }

        /** A field of /proc/PID/status in MiB (VmRSS now, VmHWM the peak), or NaN. */
        static double rssMib(long pid, String field) {
            if (pid <= 0) {
                return Double.NaN;
            }
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith(field + ":")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                    }
                }
            } catch (IOException | UncheckedIOException | NumberFormatException e) {
                // the process is gone: no figure
            }
            return Double.NaN;
        }

        String csv() {
            StringBuilder s = new StringBuilder(String.join(",", COLUMNS)).append('\n');
            synchronized (rows) {
                for (double[] row : rows) {
                    for (int i = 0; i < row.length; i++) {
                        s.append(i == 0 ? "" : ",").append(Double.isNaN(row[i]) ? "" : String.format(Locale.ROOT, "%.1f", row[i]));
                    }
                    s.append('\n');
                }
            }
            return s.toString();
        }

        int samples() {
            return rows.size();
        }
    }

    // --- the report -------------------------------------------------------------------------------

    static final class Report {
        private final Options o;
        private final List<String> classes;
        private final List<Outcome> outcomes;
        private final Monitor monitor;
        private final Drain drain;
        private final double wallSeconds;
        private final int uploadBytes;
        private final double gatewayHwm;
        private final double samplerHwm;

        Report(Options o, List<String> classes, List<Outcome> outcomes, Monitor monitor, Drain drain, double wallSeconds,
                int uploadBytes) {
            this.o = o;
            this.classes = classes;
            this.outcomes = outcomes;
            this.monitor = monitor;
            this.drain = drain;
            this.wallSeconds = wallSeconds;
            this.uploadBytes = uploadBytes;
            this.gatewayHwm = Monitor.rssMib(o.gatewayPid, "VmHWM");
            this.samplerHwm = Monitor.rssMib(o.samplerPid, "VmHWM");
        }

        record ClassStats(String clazz, int clients, int requests, Map<Kind, Integer> kinds, Map<String, Integer> statuses,
                double p50, double p99, double okPerSecond, double previewsPerOk) {}

        List<ClassStats> stats() {
            List<ClassStats> out = new ArrayList<>();
            for (String c : List.of("plain", "sse", "upload", "slow", "disconnect")) {
                int clients = Collections.frequency(classes, c);
                if (clients == 0) {
                    continue;
                }
                List<Outcome> mine = outcomes.stream().filter(x -> x.clazz().equals(c)).toList();
                Map<Kind, Integer> kinds = new LinkedHashMap<>();
                for (Kind k : Kind.values()) {
                    kinds.put(k, (int) mine.stream().filter(x -> x.kind() == k).count());
                }
                Map<String, Integer> statuses = new TreeMap<>();
                mine.forEach(x -> statuses.merge(x.label(), 1, Integer::sum));
                List<Double> ok = mine.stream().filter(x -> x.kind() == Kind.OK).map(Outcome::millis).sorted().toList();
                double previews = mine.stream().filter(x -> x.kind() == Kind.OK).mapToInt(Outcome::previews).sum();
                out.add(new ClassStats(c, clients, mine.size(), kinds, statuses, percentile(ok, 50), percentile(ok, 99),
                        ok.size() / (double) o.seconds, ok.isEmpty() ? Double.NaN : previews / ok.size()));
            }
            return out;
        }

        static double percentile(List<Double> sorted, int p) {
            if (sorted.isEmpty()) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
        }

        long count(Kind k) {
            return outcomes.stream().filter(x -> x.kind() == k).count();
        }

        /** 504s answered at admission (the deadline cannot be met at the present load), not after waiting. */
        long deadlineRefusals() {
            return outcomes.stream()
                    .filter(x -> x.kind() == Kind.SERVER_ERROR && x.label().matches("(200\\+error )?504")
                            && x.detail().contains("cannot finish within"))
                    .count();
        }

        List<Outcome> lost() {
            return outcomes.stream().filter(x -> x.kind() == Kind.LOST).toList();
        }

        boolean targetsMet() {
            return count(Kind.SERVER_ERROR) == 0 && count(Kind.LOST) == 0;
        }

        String text() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT,
                    "%nload-bench %s: %d clients for %d s against %s (model %s); the last answer %.0f s after the start%n",
                    Instant.now().toString().substring(0, 19) + "Z", classes.size(), o.seconds, o.url, o.model, wallSeconds));
            s.append(String.format(Locale.ROOT, "%-10s %7s %8s %6s %7s %5s %5s %9s %5s %7s %8s %8s  %s%n",
                    "class", "clients", "requests", "ok", "refused", "4xx", "5xx", "abandoned", "lost", "ok/s",
                    "p50 ms", "p99 ms", "statuses"));
            for (ClassStats c : stats()) {
                s.append(String.format(Locale.ROOT, "%-10s %7d %8d %6d %7d %5d %5d %9d %5d %7.2f %8s %8s  %s%n",
                        c.clazz(), c.clients(), c.requests(), c.kinds().get(Kind.OK), c.kinds().get(Kind.REFUSED),
                        c.kinds().get(Kind.CLIENT_ERROR), c.kinds().get(Kind.SERVER_ERROR), c.kinds().get(Kind.ABANDONED),
                        c.kinds().get(Kind.LOST), c.okPerSecond(), ms(c.p50()), ms(c.p99()), c.statuses()));
            }
            s.append(String.format(Locale.ROOT,
                    "totals: %d requests, %d ok, %d refused (429 or 503 with Retry-After), %d other 4xx, %d abandoned;"
                            + " 5xx %d (target 0), lost %d (target 0)%n",
                    outcomes.size(), count(Kind.OK), count(Kind.REFUSED), count(Kind.CLIENT_ERROR), count(Kind.ABANDONED),
                    count(Kind.SERVER_ERROR), count(Kind.LOST)));
            if (deadlineRefusals() > 0) {
                s.append(String.format(Locale.ROOT,
                        "  of the 5xx, %d are 504s refused at once: the sampler estimated it could not meet the deadline%n",
                        deadlineRefusals()));
            }
            stats().stream().filter(c -> !Double.isNaN(c.previewsPerOk()) && c.previewsPerOk() > 0).forEach(c ->
                    s.append(String.format(Locale.ROOT, "previews per %s result: %.1f%n", c.clazz(), c.previewsPerOk())));
            List<Outcome> lost = lost();
            for (Outcome x : lost.subList(0, Math.min(20, lost.size()))) {
                s.append(String.format(Locale.ROOT, "  lost: %s #%d after %.0f ms: %s%n", x.clazz(), x.id(), x.millis(), x.detail()));
            }
            if (lost.size() > 20) {
                s.append("  ... ").append(lost.size() - 20).append(" more in report.json\n");
            }
            outcomes.stream().filter(x -> x.kind() == Kind.SERVER_ERROR || x.kind() == Kind.CLIENT_ERROR)
                    .map(x -> x.clazz() + " " + x.label() + ": " + x.detail()).distinct().limit(5)
                    .forEach(line -> s.append("  e.g. ").append(line).append('\n'));
            s.append(resources("gateway", gatewayHwm));
            s.append(resources("sampler", samplerHwm));
            s.append(String.format(Locale.ROOT, "sampler peaks: %s requests running, %s waiting, %s evaluations of backlog%n",
                    num(monitor.peaks.get("sampler_active_requests")), num(monitor.peaks.get("sampler_waiting_requests")),
                    num(monitor.peaks.get("sampler_backlog_evaluations"))));
            if (drain != null) {
                s.append(String.format(Locale.ROOT,
                        "sampler when the load ended: %s requests held (running and waiting), %s evaluations of backlog; %s%n",
                        num(drain.activeAtEnd()), num(drain.backlogAtEnd()),
                        !Double.isNaN(drain.secondsToIdle())
                                ? String.format(Locale.ROOT, "idle %.1f s later", drain.secondsToIdle())
                                : "still " + num(drain.activeAfter()) + " held " + o.drainSeconds + " s later"));
            }
            monitor.unanswered.forEach((svc, n) -> s.append(String.format(Locale.ROOT,
                    "%s's /q/metrics did not answer %d of %d samples%n", svc, n.get(), monitor.samples())));
            return s.toString();
        }

        private String resources(String svc, double hwm) {
            return String.format(Locale.ROOT, "%s: heap peak %s MiB, RSS peak %s MiB (VmHWM %s MiB), live threads peak %s%n",
                    svc, num(monitor.peaks.get(svc + "_heap_mib")), num(monitor.peaks.get(svc + "_rss_mib")), num(hwm),
                    num(monitor.peaks.get(svc + "_threads")));
        }

        static String ms(double v) {
            return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
        }

        static String num(Double v) {
            return v == null || Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
        }

        String json() {
            StringBuilder s = new StringBuilder("{\n");
            s.append("  \"date\": ").append(q(Instant.now().toString())).append(",\n");
            s.append("  \"url\": ").append(q(o.url.toString())).append(",\n");
            s.append("  \"model\": ").append(q(o.model)).append(",\n");
            s.append("  \"clients\": ").append(classes.size()).append(",\n");
            s.append("  \"seconds\": ").append(o.seconds).append(",\n");
            s.append("  \"wallSeconds\": ").append(d(wallSeconds)).append(",\n");
            s.append("  \"mix\": ").append(q(o.mix)).append(",\n");
            s.append("  \"uploadBytes\": ").append(uploadBytes).append(",\n");
            s.append("  \"classes\": [\n");
            List<ClassStats> stats = stats();
            for (int i = 0; i < stats.size(); i++) {
                ClassStats c = stats.get(i);
                s.append("    {\"class\": ").append(q(c.clazz())).append(", \"clients\": ").append(c.clients())
                        .append(", \"requests\": ").append(c.requests());
                c.kinds().forEach((k, n) -> s.append(", ").append(q(k.name().toLowerCase(Locale.ROOT))).append(": ").append(n));
                s.append(", \"okPerSecond\": ").append(d(c.okPerSecond())).append(", \"p50Ms\": ").append(d(c.p50()))
                        .append(", \"p99Ms\": ").append(d(c.p99())).append(", \"previewsPerOk\": ").append(d(c.previewsPerOk()))
                        .append(", \"statuses\": {");
                int j = 0;
                for (var e : c.statuses().entrySet()) {
                    s.append(j++ == 0 ? "" : ", ").append(q(e.getKey())).append(": ").append(e.getValue());
                }
                s.append("}}").append(i + 1 < stats.size() ? ",\n" : "\n");
            }
            s.append("  ],\n");
            s.append("  \"totals\": {\"requests\": ").append(outcomes.size()).append(", \"ok\": ").append(count(Kind.OK))
                    .append(", \"refused\": ").append(count(Kind.REFUSED)).append(", \"clientErrors\": ")
                    .append(count(Kind.CLIENT_ERROR)).append(", \"serverErrors\": ").append(count(Kind.SERVER_ERROR))
                    .append(", \"serverErrorsDeadlineRefusals\": ").append(deadlineRefusals())
                    .append(", \"abandoned\": ").append(count(Kind.ABANDONED)).append(", \"lost\": ").append(count(Kind.LOST))
                    .append("},\n");
            s.append("  \"lost\": [");
            List<Outcome> lost = lost();
            for (int i = 0; i < lost.size(); i++) {
                Outcome x = lost.get(i);
                s.append(i == 0 ? "\n" : ",\n").append("    {\"class\": ").append(q(x.clazz())).append(", \"id\": ").append(x.id())
                        .append(", \"label\": ").append(q(x.label())).append(", \"ms\": ").append(d(x.millis()))
                        .append(", \"previews\": ").append(x.previews()).append(", \"why\": ").append(q(x.detail())).append('}');
            }
            s.append(lost.isEmpty() ? "],\n" : "\n  ],\n");
            s.append("  \"serverErrors\": [");
            List<Outcome> errors = outcomes.stream().filter(x -> x.kind() == Kind.SERVER_ERROR).limit(100).toList();
            for (int i = 0; i < errors.size(); i++) {
                Outcome x = errors.get(i);
                s.append(i == 0 ? "\n" : ",\n").append("    {\"class\": ").append(q(x.clazz())).append(", \"label\": ")
                        .append(q(x.label())).append(", \"detail\": ").append(q(x.detail())).append('}');
            }
            s.append(errors.isEmpty() ? "],\n" : "\n  ],\n");
            s.append("  \"resources\": {");
            s.append("\"gatewayHeapPeakMiB\": ").append(d(monitor.peaks.get("gateway_heap_mib")))
                    .append(", \"gatewayRssPeakMiB\": ").append(d(monitor.peaks.get("gateway_rss_mib")))
                    .append(", \"gatewayVmHwmMiB\": ").append(d(gatewayHwm))
                    .append(", \"gatewayThreadsPeak\": ").append(d(monitor.peaks.get("gateway_threads")))
                    .append(", \"samplerHeapPeakMiB\": ").append(d(monitor.peaks.get("sampler_heap_mib")))
                    .append(", \"samplerRssPeakMiB\": ").append(d(monitor.peaks.get("sampler_rss_mib")))
                    .append(", \"samplerVmHwmMiB\": ").append(d(samplerHwm))
                    .append(", \"samplerThreadsPeak\": ").append(d(monitor.peaks.get("sampler_threads")))
                    .append(", \"samplerActiveRequestsPeak\": ").append(d(monitor.peaks.get("sampler_active_requests")))
                    .append(", \"samplerWaitingRequestsPeak\": ").append(d(monitor.peaks.get("sampler_waiting_requests")))
                    .append(", \"samplerBacklogEvaluationsPeak\": ").append(d(monitor.peaks.get("sampler_backlog_evaluations")))
                    .append(", \"samples\": ").append(monitor.samples());
            monitor.unanswered.forEach((svc, n) -> s.append(", ").append(q(svc + "MetricsUnanswered")).append(": ").append(n.get()));
            s.append("},\n");
            s.append("  \"drain\": ").append(drain == null ? "null" : "{\"activeAtEnd\": " + d(drain.activeAtEnd())
                    + ", \"backlogEvaluationsAtEnd\": " + d(drain.backlogAtEnd()) + ", \"secondsToIdle\": "
                    + d(drain.secondsToIdle()) + ", \"activeAfterWatch\": " + d(drain.activeAfter()) + "}").append(",\n");
            s.append("  \"targetsMet\": ").append(targetsMet()).append("\n}\n");
            return s.toString();
        }

        static String d(Double v) {
            return v == null || Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.2f", v);
        }

        static String q(String v) {
            StringBuilder s = new StringBuilder("\"");
            for (char c : v.toCharArray()) {
                switch (c) {
                    case '"' -> s.append("\\\"");
                    case '\\' -> s.append("\\\\");
                    default -> {
                        if (c < 0x20) {
                            s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            s.append(c);
                        }
                    }
                }
            }
            return s.append('"').toString();
        }
    }
}
