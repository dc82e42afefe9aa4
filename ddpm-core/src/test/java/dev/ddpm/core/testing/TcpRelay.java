package dev.ddpm.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay in front of a real server that can be taken away and brought back: while it is away its
 * port refuses connections and the connections it relayed are cut, as when the server's process stops.
 * Tests use it to put a real S3 server or broker through an outage without stopping the shared one.
 */
public final class TcpRelay implements AutoCloseable {

    private final InetSocketAddress target;
    private final int port;
    private final List<Socket> open = new ArrayList<>();
    private ServerSocket listener;

    /** A relay to {@code target} on a free local port, away until {@link #up()}. */
    public TcpRelay(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        try (ServerSocket probe = new ServerSocket(0)) {
            this.port = probe.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    /** Starts accepting and relaying connections. */
    public synchronized TcpRelay up() throws IOException {
        if (listener == null) {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress("127.0.0.1", port));
            listener = server;
            Thread accepting = new Thread(() -> accept(server), "tcp-relay-" + port);
            accepting.setDaemon(true);
            accepting.start();
        }
        return this;
    }

    /** Refuses new connections and cuts the relayed ones. */
    public synchronized void down() throws IOException {
        if (listener != null) {
            listener.close();
            listener = null;
        }
        for (Socket socket : open) {
            socket.close();
        }
        open.clear();
    }

    private void accept(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                synchronized (this) {
                    open.add(client);
                    open.add(upstream);
                }
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                return; // closed by down()
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread thread = new Thread(
                () -> {
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException e) {
                        // the other side closed, or down() cut it
                    } finally {
                        try {
                            from.close();
                            to.close();
                        } catch (IOException ignored) {
                            // already closed
                        }
                    }
                },
                "tcp-relay-pump");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        down();
    }
}
