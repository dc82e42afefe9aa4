package dev.ddpm.gateway.rest;

import dev.ddpm.gateway.config.GatewayConfig;
import dev.ddpm.service.error.Problem;
import dev.ddpm.service.error.ProblemSource;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Every request body a resource binds (JSON records, text) is counted as it is read, whatever its
 * headers declared: the first byte past {@code gateway.max-json-bytes} fails the read with 413, and
 * the rest is never read. This is what bounds an HTTP/2 body, which need declare no length ({@link
 * BodyLimit} refuses declared lengths before a byte is read). An upload, bound as a stream, is
 * counted while it streams to S3 instead.
 */
@Provider
public class CountedBody implements ReaderInterceptor {

    /** Looked up per request: REST providers are built before configuration mappings exist. */
    private final Instance<GatewayConfig> configuration;

    public CountedBody(Instance<GatewayConfig> configuration) {
        this.configuration = configuration;
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (!InputStream.class.isAssignableFrom(context.getType())) {
            context.setInputStream(
                    new Bounded(context.getInputStream(), configuration.get().maxJsonBytes()));
        }
        return context.proceed();
    }

    /** The refusal, raised from inside the body's reader. */
    static final class TooLarge extends RuntimeException implements ProblemSource {
        private final transient Problem problem;

        TooLarge(long limit) {
            super("request body over " + limit + " bytes");
            this.problem = BodyLimit.jsonTooLarge(limit, "this one is longer");
        }

        @Override
        public Problem problem() {
            return problem;
        }
    }

    private static final class Bounded extends FilterInputStream {
        private final long limit;
        private long count;

        Bounded(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, limit - count + 1));
            if (n > 0 && (count += n) > limit) {
                throw new TooLarge(limit);
            }
            return n;
        }
    }
}
