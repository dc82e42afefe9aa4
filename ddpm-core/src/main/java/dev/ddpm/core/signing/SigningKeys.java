package dev.ddpm.core.signing;

import dev.ddpm.core.storage.Sha256;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 keys as {@code openssl genpkey -algorithm ed25519} writes them: the private key PKCS#8
 * ({@code -----BEGIN PRIVATE KEY-----}), the public key X.509 SubjectPublicKeyInfo
 * ({@code -----BEGIN PUBLIC KEY-----}); the base64 DER body alone (one line, for an environment
 * variable) is accepted too.
 */
public final class SigningKeys {

    public static final String ALGORITHM = "Ed25519";

    private static final Pattern PEM =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

    private SigningKeys() {}

    /** A private key from PEM text or its base64 DER body; {@code what} names where it came from in errors. */
    public static PrivateKey privateKey(String text, String what) {
        byte[] der = der(text, "PRIVATE KEY", what);
        try {
            return keyFactory().generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyMaterialException(what + " is not an Ed25519 private key (PKCS#8): " + e.getMessage());
        }
    }

    /** A public key from PEM text or its base64 DER body; {@code what} names where it came from in errors. */
    public static PublicKey publicKey(String text, String what) {
        byte[] der = der(text, "PUBLIC KEY", what);
        try {
            return keyFactory().generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyMaterialException(
                    what + " is not an Ed25519 public key (X.509 SubjectPublicKeyInfo): " + e.getMessage());
        }
    }

    /** The text of a key file, for {@link #privateKey} or {@link #publicKey}. */
    public static String read(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InvalidKeyMaterialException(what + ": cannot read " + file + ": " + e);
        }
    }

    /** The key's id: the first 16 hex digits of the sha256 of its DER encoding. */
    public static String keyId(PublicKey key) {
        return Sha256.of(key.getEncoded()).substring(0, 16);
    }

    /**
     * The public key of {@code key}. The JDK has no call for this; its Ed25519 key pair generator
     * derives the pair from 32 random bytes, the private key's seed, so a generator fed that seed
     * derives this key's pair.
     */
    public static PublicKey publicKeyOf(PrivateKey key) {
        byte[] seed = ((EdECPrivateKey) key)
                .getBytes()
                .orElseThrow(() -> new InvalidKeyMaterialException("the private key's bytes are not readable"));
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(ALGORITHM);
            generator.initialize(NamedParameterSpec.ED25519, new FixedSeed(seed));
            KeyPair pair = generator.generateKeyPair();
            byte[] derived = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
            if (!Arrays.equals(derived, seed)) {
                throw new IllegalStateException("this JVM's Ed25519 key pair generator does not derive from its seed");
            }
            return pair.getPublic();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM since 15 has Ed25519", e);
        }
    }

    /** A fresh key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JVM since 15 has Ed25519", e);
        }
    }

    /** The key as PEM, as openssl writes it. */
    public static String pem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    public static String pem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(String text, String type, String what) {
        if (text == null || text.isBlank()) {
            throw new InvalidKeyMaterialException(what + " is empty");
        }
        String body = text.strip();
        if (body.startsWith("-----BEGIN")) {
            Matcher m = PEM.matcher(body);
            if (!m.find()) {
                throw new InvalidKeyMaterialException(what + " is not a complete PEM block");
            }
            if (!m.group(1).equals(type)) {
                throw new InvalidKeyMaterialException(what + " is a PEM " + m.group(1) + ", expected " + type
                        + " (an Ed25519 key as openssl writes it)");
            }
            body = m.group(2);
        }
        try {
            return Base64.getDecoder().decode(body.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyMaterialException(what + " is neither PEM nor base64 DER: " + e.getMessage());
        }
    }

    private static KeyFactory keyFactory() throws GeneralSecurityException {
        return KeyFactory.getInstance(ALGORITHM);
    }

    /** Hands out a fixed seed as its random bytes: see {@link #publicKeyOf}. */
    private static final class FixedSeed extends SecureRandom {
        private final byte[] seed;

        FixedSeed(byte[] seed) {
            this.seed = seed.clone();
        }

        @Override
        public void nextBytes(byte[] bytes) {
            if (bytes.length != seed.length) {
                throw new IllegalStateException("asked for " + bytes.length + " bytes, the seed has " + seed.length);
            }
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
        }
    }
}
