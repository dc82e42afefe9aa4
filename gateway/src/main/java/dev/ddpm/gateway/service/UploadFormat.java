package dev.ddpm.gateway.service;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** What an uploaded file is, by its first bytes (never by its name alone): the formats the trainer reads. */
public enum UploadFormat {
    PNG("png"),
    JPEG("jpg"),
    ZIP("zip"),
    TAR_GZ("tar.gz"),
    TAR("tar"),
    IDX("idx");

    /** The bytes {@link #detect} needs: tar's magic ends at offset 262. */
    public static final int HEADER_BYTES = 512;

    private final String extension;

    UploadFormat(String extension) {
        this.extension = extension;
    }

    public String extension() {
        return extension;
    }

    public static Optional<UploadFormat> detect(byte[] data) {
        if (startsWith(data, 0x89, 'P', 'N', 'G')) {
            return Optional.of(PNG);
        }
        if (startsWith(data, 0xFF, 0xD8, 0xFF)) {
            return Optional.of(JPEG);
        }
        if (startsWith(data, 'P', 'K', 3, 4)) {
            return Optional.of(ZIP);
        }
        if (startsWith(data, 0x1F, 0x8B)) {
            return Optional.of(TAR_GZ);
        }
        if (data.length > 262 && new String(data, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
            return Optional.of(TAR);
        }
        if (startsWith(data, 0, 0, 8, 3) || startsWith(data, 0, 0, 8, 1)) {
            return Optional.of(IDX); // images (0x803) or the labels beside them (0x801)
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] data, int... prefix) {
        if (data.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((data[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
