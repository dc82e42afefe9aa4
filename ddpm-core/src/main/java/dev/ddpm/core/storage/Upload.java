package dev.ddpm.core.storage;

import java.nio.file.Path;
import java.util.Objects;

/** One data object of an artifact: its key and where its bytes come from. */
public sealed interface Upload {

    String key();

    String contentType();

    static Upload bytes(String key, byte[] data, String contentType) {
        return new Bytes(key, data, contentType);
    }

    static Upload file(String key, Path file, String contentType) {
        return new File(key, file, contentType);
    }

    record Bytes(String key, byte[] data, String contentType) implements Upload {
        public Bytes {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(data, "data");
        }
    }

    record File(String key, Path path, String contentType) implements Upload {
        public File {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(path, "path");
        }
    }
}
