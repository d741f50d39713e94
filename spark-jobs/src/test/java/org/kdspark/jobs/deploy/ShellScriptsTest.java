package org.kdspark.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every script in deploy/ and bin/ passes shellcheck and is executable. */
class ShellScriptsTest {

    @Test
    void everyScriptPassesShellcheck() throws Exception {
        assumeTrue(shellcheckAvailable(), "shellcheck is not installed (Debian/Ubuntu: apt-get install shellcheck); scripts not checked");
        List<Path> scripts = DeployFiles.shellScripts();
        assertTrue(scripts.size() >= 9, "expected bin/kd and the deploy scripts, found " + scripts);
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "--external-sources", "--format=gcc"));
        scripts.forEach(s -> cmd.add(DeployFiles.root().relativize(s).toString()));
        Process p = new ProcessBuilder(cmd).directory(DeployFiles.root().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "shellcheck did not finish");
        assertEquals(0, p.exitValue(), "shellcheck findings:\n" + out);
    }

    @Test
    void everyScriptIsExecutable() throws IOException {
        for (Path script : DeployFiles.shellScripts()) {
            assertTrue(Files.isExecutable(script), script + " is not executable (git update-index --chmod=+x)");
        }
    }

    private static boolean shellcheckAvailable() {
        try {
            Process p = new ProcessBuilder("shellcheck", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
