// Makes the trainer's Ed25519 signing key pair with the JDK alone, as PEM files like those of
//   openssl genpkey -algorithm ed25519 -out trainer-signing.key.pem
//   openssl pkey -in trainer-signing.key.pem -pubout -out trainer-signing.pub.pem
// Run as a source file: java deploy/local/SigningKeyPair.java DIR (writes DIR/trainer-signing.key.pem,
// readable by its owner only, and DIR/trainer-signing.pub.pem; refuses to overwrite either).
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

public class SigningKeyPair {

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java SigningKeyPair.java DIR");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        Path privateFile = dir.resolve("trainer-signing.key.pem");
        Path publicFile = dir.resolve("trainer-signing.pub.pem");
        if (Files.exists(privateFile) || Files.exists(publicFile)) {
            System.err.println(privateFile + " or " + publicFile + " exists already; not overwritten");
            System.exit(1);
        }
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Files.createFile(privateFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        System.out.println(privateFile + " (the trainer's, secret) and " + publicFile + " (the samplers')");
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
