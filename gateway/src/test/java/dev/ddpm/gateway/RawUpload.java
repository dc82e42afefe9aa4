package dev.ddpm.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * An HTTP/1.1 upload over a plain socket, its body sent as slowly as a test likes, its answer read
 * as soon as the server gives one (before the body has ended, when the server refuses early).
 */
final class RawUpload implements AutoCloseable {

    /** The server's answer. */
    record Answer(int status, Map<String, String> headers, String body) {}

    private final Socket socket;
    private final OutputStream out;
    private final CompletableFuture<Answer> answer = new CompletableFuture<>();
    private long sent;
    private final long length;

    RawUpload(int port, String path, String key, long length) throws IOException {
        this.length = length;
        socket = new Socket("localhost", port);
        out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key
                        + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread reader = new Thread(this::readAnswer, "raw-upload-answer");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends the next bytes of the body; false once the server has answered or the socket failed. */
    synchronized boolean send(byte[] bytes) {
        if (answer.isDone() || sent + bytes.length > length) {
            return false;
        }
        try {
            out.write(bytes);
            out.flush();
            sent += bytes.length;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends what is left of the declared length, as fast as the server takes it. */
    synchronized void finish(byte fill) throws IOException {
        byte[] block = new byte[64 * 1024];
        java.util.Arrays.fill(block, fill);
        while (sent < length) {
            int n = (int) Math.min(block.length, length - sent);
            out.write(block, 0, n);
            sent += n;
        }
        out.flush();
    }

    CompletableFuture<Answer> answer() {
        return answer;
    }

    private void readAnswer() {
        try {
            InputStream in = socket.getInputStream();
            String status = line(in);
            if (status == null) {
                throw new IOException("connection closed before an answer");
            }
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                headers.put(
                        header.substring(0, colon).trim(),
                        header.substring(colon + 1).trim());
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (headers.containsKey("Content-Length")) {
                body.write(in.readNBytes(Integer.parseInt(headers.get("Content-Length"))));
            } else if ("chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))) {
                for (int size = Integer.parseInt(line(in).trim(), 16);
                        size > 0;
                        size = Integer.parseInt(line(in).trim(), 16)) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
            }
            answer.complete(
                    new Answer(Integer.parseInt(status.split(" ")[1]), headers, body.toString(StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            answer.completeExceptionally(e);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                return line.toString(StandardCharsets.US_ASCII).replace("\r", "");
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
