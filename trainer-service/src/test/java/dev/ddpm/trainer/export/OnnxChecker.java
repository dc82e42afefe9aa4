package dev.ddpm.trainer.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The ONNX project's own validator, {@code onnx.checker.check_model(full_check=True)}, from Debian's
 * python3-onnx (scripts/test.sh installs it): an independent reader of what the exporter wrote.
 */
final class OnnxChecker {

    static final String PYTHON = System.getenv().getOrDefault("ONNX_CHECKER_PYTHON", "/usr/bin/python3");

    private static final String SCRIPT = """
            import sys, onnx
            model = onnx.load(sys.argv[1])
            onnx.checker.check_model(model, full_check=True)
            print("onnx", onnx.__version__, "ir", model.ir_version,
                  "opset", model.opset_import[0].version, "nodes", len(model.graph.node),
                  "metadata", ",".join(p.key for p in model.metadata_props))
            """;

    private OnnxChecker() {}

    /** The checker's one-line report; throws with its output when it rejects the file. */
    static String check(Path file) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new AssertionError(PYTHON + " not found: install Debian's python3-onnx (scripts/test.sh does)");
        }
        Process process = new ProcessBuilder(PYTHON, "-c", SCRIPT, file.toString())
                .redirectErrorStream(true)
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("onnx.checker did not finish in 120 s");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.exitValue() != 0) {
            throw new AssertionError("onnx.checker rejected " + file + ":\n" + output);
        }
        System.out.println("onnx.checker: " + output);
        return output;
    }
}
