package dev.ddpm.trainer.signing;

import dev.ddpm.core.signing.ManifestSigner;
import dev.ddpm.core.signing.SigningKeys;
import dev.ddpm.trainer.config.TrainerConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The signer of the manifests this trainer publishes, from {@code trainer.signing.*}, read at start so
 * that a trainer without a usable key does not start. In dev mode ({@code quarkus:dev}) only, a
 * missing key is replaced by one made for this process, whose versions no sampler trusts unless
 * told its public key (logged): a published version must never pass for signed by a deployed key.
 * The test profile signs with the test-only key, which the sampler's test profile trusts.
 */
@Startup
@Singleton
public class TrainerSigningKey {

    private static final Logger LOG = Logger.getLogger(TrainerSigningKey.class);

    private final ManifestSigner signer;

    public TrainerSigningKey(TrainerConfig config) {
        SigningKeySource source = new SigningKeySource(
                config.signing().privateKey(),
                config.signing().privateKeyFile(),
                "trainer.signing.private-key",
                "trainer.signing.private-key-file");
        this.signer = source.signer().orElseGet(() -> {
            if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
                throw new IllegalArgumentException(source.missing());
            }
            var pair = SigningKeys.generate();
            LOG.warnf(
                    "no trainer.signing.private-key: dev mode signs with a key made for this process; its versions "
                            + "load only on a sampler that trusts its public key %s",
                    SigningKeys.pem(pair.getPublic()).replace('\n', ' '));
            return new ManifestSigner(pair.getPrivate());
        });
        LOG.infof("manifests are signed with key %s", signer.keyId());
    }

    @Produces
    @Singleton
    ManifestSigner signer() {
        return signer;
    }
}
