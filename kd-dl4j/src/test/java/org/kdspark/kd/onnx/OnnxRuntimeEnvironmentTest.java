package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime 1.29 SIGSEGVs while creating its environment when the command line exceeds ~3.5 KB and telemetry is
 * on (reproduced here: exit 139 with a 5 KB {@code -D} argument, {@code OrtEnvironment.getEnvironment()} on the main
 * thread, {@code ORT_DISABLE_TELEMETRY} unset). Both guards are checked.
 */
class OnnxRuntimeEnvironmentTest {

    @Test
    void surefireForksRunWithTelemetryDisabled() {
        assertEquals("1", System.getenv("ORT_DISABLE_TELEMETRY"), "set in the parent pom's surefire configuration");
        assertTrue(OnnxRuntimeEnvironment.get() != null);
    }

    @Test
    void environmentIsCreatedSafelyWithALongCommandLineAndTelemetryOn() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Dpadding=" + "x".repeat(5000), "-cp",
                System.getProperty("java.class.path"), LongCommandLine.class.getName());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("ORT_DISABLE_TELEMETRY");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "child JVM failed (139 = SIGSEGV): " + out);
        assertTrue(out.contains("environment ok"), out);
    }

    /** Run in a child JVM: creates the environment through the guard. */
    public static final class LongCommandLine {
        public static void main(String[] args) {
            OnnxRuntimeEnvironment.get();
            System.out.println("environment ok");
        }
    }
}
