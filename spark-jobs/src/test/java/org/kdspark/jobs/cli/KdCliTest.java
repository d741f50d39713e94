package org.kdspark.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KdCliTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = KdCli.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void everySubcommandHasHelpWithTheCommonOptions() {
        for (String cmd : new String[] {"ingest", "train-teacher", "soft-labels", "distill", "evaluate", "pipeline", "export", "config"}) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("--config") && r.out().contains("--set") && r.out().contains("--output"), cmd + ": " + r.out());
        }
    }

    @Test
    void exportOffersOnnxAndBenchInferenceHasHelp() {
        Run export = run("export", "--help");
        assertTrue(export.out().contains("--format") && export.out().contains("--model") && export.out().contains("onnx"), export.out());
        Run bench = run("bench", "inference", "--help");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.out().contains("--json") && bench.out().contains("roofline_fraction") && bench.out().contains("--config"), bench.out());
    }

    @Test
    void configCommandPrintsTheEffectiveConfigWithOverrides() {
        Run r = run("config", "--set", "distill.temperature=2.5", "--master", "local[3]");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("temperature: 2.5"), r.out());
        assertTrue(r.out().contains("master: \"local[3]\"") || r.out().contains("master: local[3]"), r.out());
    }

    @Test
    void aBadOverrideExitsWithCodeTwoAndNamesTheKey() {
        Run r = run("config", "--set", "distill.epoch=3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("distill.epoch"), r.err());
    }

    @Test
    void anUnknownSubcommandIsAUsageError() {
        Run r = run("train-studnet");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train-studnet"), r.err());
    }
}
