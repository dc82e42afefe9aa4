package dev.ddpm.core.signing;

import dev.ddpm.core.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestSigningTest {

    /** A pair openssl made ({@code openssl genpkey -algorithm ed25519}); its key id computed by openssl and sha256sum. */
    private static final String OPENSSL_PRIVATE = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIDIYUYH3kKea7q2j9R/MBxSs6Nzga1Amo+bVkHl8J5u2
            -----END PRIVATE KEY-----
            """;

    private static final String OPENSSL_PUBLIC = """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEAHYwaZRZpeyXv88vaG23alzjRFOVdCBshLOEfXio1jNg=
            -----END PUBLIC KEY-----
            """;

    private static final String OPENSSL_KEY_ID = "a2f39ec9b05e2835";
    private static final String KEY = "digits/v1/manifest.json";
    private static final byte[] MANIFEST =
            "{\"name\":\"digits\",\"version\":\"v1\",\"onnx\":{\"sha256\":\"ab\"}}".getBytes(StandardCharsets.UTF_8);

    private final PrivateKey privateKey = SigningKeys.privateKey(OPENSSL_PRIVATE, "the test key");
    private final PublicKey publicKey = SigningKeys.publicKey(OPENSSL_PUBLIC, "the test key");
    private final ManifestSigner signer = new ManifestSigner(privateKey);
    private final ManifestVerifier verifier = new ManifestVerifier(List.of(publicKey));

    @Test
    void opensslKeysParseAsPemAndAsTheirBase64Body() {
        assertThat(SigningKeys.keyId(publicKey)).isEqualTo(OPENSSL_KEY_ID);
        assertThat(SigningKeys.publicKeyOf(privateKey)).isEqualTo(publicKey);
        assertThat(signer.keyId()).isEqualTo(OPENSSL_KEY_ID);
        String body = OPENSSL_PUBLIC
                .lines()
                .filter(l -> !l.startsWith("-----"))
                .findFirst()
                .orElseThrow();
        assertThat(SigningKeys.publicKey(body, "a body")).isEqualTo(publicKey);
        // What this class writes, it reads back
        assertThat(SigningKeys.privateKey(SigningKeys.pem(privateKey), "pem")).isEqualTo(privateKey);
    }

    @Test
    void keysOfTheWrongKindAreRefusedNamingWhereTheyCameFrom() {
        assertThatThrownBy(() -> SigningKeys.publicKey(OPENSSL_PRIVATE, "sampler.signing.trusted-keys[0]"))
                .isInstanceOf(InvalidKeyMaterialException.class)
                .hasMessageContaining("sampler.signing.trusted-keys[0]")
                .hasMessageContaining("PRIVATE KEY, expected PUBLIC KEY");
        assertThatThrownBy(() -> SigningKeys.privateKey("not a key!", "trainer.signing.private-key"))
                .hasMessageContaining("trainer.signing.private-key is neither PEM nor base64 DER");
        assertThatThrownBy(() -> SigningKeys.privateKey("", "trainer.signing.private-key"))
                .hasMessageContaining("trainer.signing.private-key is empty");
    }

    @Test
    void aSignedManifestVerifies() {
        verifier.verify(KEY, MANIFEST, signature(signer.sign(MANIFEST)));
    }

    @Test
    void aManifestChangedByOneByteIsRefused() {
        byte[] signature = signature(signer.sign(MANIFEST));
        byte[] tampered = MANIFEST.clone();
        tampered[tampered.length - 3] ^= 1;
        assertThatThrownBy(() -> verifier.verify(KEY, tampered, signature))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("does not match the manifest's bytes");
    }

    @Test
    void aSignatureByAnUntrustedKeyIsRefused() {
        ManifestSigner other = new ManifestSigner(SigningKeys.generate().getPrivate());
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, signature(other.sign(MANIFEST))))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("signed by key " + other.keyId() + ", which is not trusted here")
                .hasMessageContaining(OPENSSL_KEY_ID);
    }

    @Test
    void anotherKeysSignatureUnderTheTrustedKeysIdIsRefused() {
        ManifestSignature forged = new ManifestSignature(
                "Ed25519",
                OPENSSL_KEY_ID,
                new ManifestSigner(SigningKeys.generate().getPrivate())
                        .sign(MANIFEST)
                        .signature());
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, signature(forged)))
                .hasMessageContaining("does not match the manifest's bytes");
    }

    @Test
    void aTruncatedSignatureIsRefused() {
        ManifestSignature whole = signer.sign(MANIFEST);
        byte[] bytes = Base64.getDecoder().decode(whole.signature());
        byte[] shorter = java.util.Arrays.copyOf(bytes, bytes.length - 1);
        ManifestSignature truncated = new ManifestSignature(
                whole.algorithm(), whole.keyId(), Base64.getEncoder().encodeToString(shorter));
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, signature(truncated)))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("has 63 bytes; an Ed25519 signature has 64");
    }

    @Test
    void aSignatureClaimingAnotherAlgorithmIsRefused() {
        ManifestSignature whole = signer.sign(MANIFEST);
        ManifestSignature hmac = new ManifestSignature("HS256", whole.keyId(), whole.signature());
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, signature(hmac)))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("of algorithm 'HS256'; only Ed25519 is accepted");
    }

    @Test
    void aMissingOrMalformedSignatureIsRefused() {
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, null))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("is not signed (no digits/v1/manifest.json.sig)");
        assertThatThrownBy(() -> verifier.verify(KEY, MANIFEST, "{\"algorithm\":\"Ed25519\"}".getBytes()))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("digits/v1/manifest.json.sig is malformed");
    }

    @Test
    void aRotatedKeyIsTrustedBesideTheOldOne() {
        KeyPair next = SigningKeys.generate();
        ManifestVerifier both = new ManifestVerifier(List.of(publicKey, next.getPublic()));
        both.verify(KEY, MANIFEST, signature(signer.sign(MANIFEST)));
        both.verify(KEY, MANIFEST, signature(new ManifestSigner(next.getPrivate()).sign(MANIFEST)));
    }

    private static byte[] signature(ManifestSignature signature) {
        return Json.write(signature);
    }
}
