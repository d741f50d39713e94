package org.kdspark.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;

class ConfigLoaderTest {

    @Test
    void defaultsApplyWhenNoFileIsGiven() {
        KdConfig c = ConfigLoader.load(null, List.of());
        assertEquals("kd", c.distill().method());
        assertEquals(4.0, c.distill().temperature());
        assertNull(c.spark().master());
    }

    @Test
    void unknownKeyIsNamedWithItsFullPathAndTheAllowedKeys() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("distill:\n  epoch: 3\n", "x.yaml"));
        assertTrue(e.getMessage().contains("unknown key 'distill.epoch'"), e.getMessage());
        assertTrue(e.getMessage().contains("epochs"), e.getMessage());
        assertTrue(e.getMessage().startsWith("x.yaml"), e.getMessage());
    }

    @Test
    void badValueIsNamedWithItsKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("teacher:\n  epochs: many\n", "x.yaml"));
        assertTrue(e.getMessage().contains("'teacher.epochs'"), e.getMessage());
    }

    @Test
    void ensembleSeedsMustBeDistinctAndDifferFromTheTeachersOwn() {
        assertEquals(List.of(43L, 44L), ConfigLoader.parse("teacher:\n  ensemble_seeds: [43, 44]\n", "x.yaml").teacher().ensembleSeeds());
        for (String seeds : List.of("[42]", "[43, 43]")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.parse("teacher:\n  seed: 42\n  ensemble_seeds: " + seeds + "\n", "x.yaml"));
            assertTrue(e.getMessage().contains("teacher.ensemble_seeds must be distinct seeds other than teacher.seed (42)"), e.getMessage());
        }
    }

    @Test
    void outOfRangeValuesAreAllReportedWithAllowedValues() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("distill:\n  method: magic\n  alpha: 1.5\n", "x.yaml"));
        assertTrue(e.getMessage().contains("distill.method must be one of [none, kd, dkd, dist, fitnets, at, sp, rkd, pkt], or distillation methods joined by '+' "
                + "(e.g. kd+rkd), got 'magic'"), e.getMessage());
        assertTrue(e.getMessage().contains("distill.alpha must be in [0, 1], got 1.5"), e.getMessage());
    }

    @Test
    void overridesAreParsedAsYamlAndValidatedLikeTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "distill:\n  epochs: 3\n");
        KdConfig c = ConfigLoader.load(file, List.of("distill.epochs=5", "soft_labels.feature_taps=[a, b]", "spark.master=local[2]"));
        assertEquals(5, c.distill().epochs());
        assertEquals(List.of("a", "b"), c.softLabels().featureTaps());
        assertEquals("local[2]", c.spark().master());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of("distill.temperatur=2")));
        assertTrue(e.getMessage().contains("distill.temperatur"), e.getMessage());
        assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of("no-equals-sign")));
    }

    @Test
    void aBadObjectiveOrAMethodWithoutItsSignalFailsAtLoadNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("distill:\n  objective:\n    ce: 1\n    kd: {temprature: 4}\n", "x.yaml"));
        assertTrue(e.getMessage().contains("distill.objective") && e.getMessage().contains("temprature")
                && e.getMessage().contains("temperature"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("soft_labels:\n  feature_taps: []\ndistill:\n  method: at\n", "x.yaml"));
        assertTrue(e.getMessage().contains("distill.method") && e.getMessage().contains("soft_labels.feature_taps"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("distill:\n  objective:\n", "x.yaml"));
        assertTrue(e.getMessage().contains("distill.objective must be a map"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("distill:\n  method: fitnet\n", "x.yaml"));
        assertTrue(e.getMessage().contains("fitnets"), e.getMessage());
    }

    @Test
    void keysLeftEmptyAreReportedUnlessTheirDefaultIsUnset() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "soft_labels:\n  backend: ~\n  tap_encodings: {block2: ~}\n  teacher_onnx: ~\ndistill:\n  lr_schedule: ~\n", "x.yaml"));
        assertTrue(e.getMessage().contains("soft_labels.backend must be set (its default is dl4j)"), e.getMessage());
        assertTrue(e.getMessage().contains("soft_labels.tap_encodings.block2 must be an encoding"), e.getMessage());
        assertTrue(e.getMessage().contains("distill.lr_schedule must be set"), e.getMessage());
        assertTrue(!e.getMessage().contains("teacher_onnx"), "a key whose default is unset may be left unset: " + e.getMessage());
    }

    @Test
    void methodsJoinedByPlusSumTheirTermsWithOneHardLabelTerm() {
        KdConfig c = ConfigLoader.parse("soft_labels:\n  feature_taps: [block2, embedding]\ndistill:\n  method: kd+rkd\n", "x.yaml");
        assertEquals(c.objectiveFor("kd").toString() + " + " + termOf(c, "rkd"), c.studentObjective().toString());
        // without kd, one ce for both
        assertEquals(c.objectiveFor("dist").toString() + " + " + termOf(c, "rkd"), c.objectiveFor("dist+rkd").toString());
        assertTrue(c.objectiveFor("dist+rkd").toString().startsWith("1.0*CE(y,softmax(s)) + "), c.objectiveFor("dist+rkd").toString());
        for (String bad : List.of("kd+kd", "kd+none", "kd+", "kd+magic")) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("distill:\n  method: " + bad + "\n", "x.yaml"), bad);
            assertTrue(e.getMessage().contains("distill.method") && e.getMessage().contains("joined by '+'"), e.getMessage());
        }
    }

    /** The term a feature or relation method adds to the baseline's cross-entropy, as the objective prints it. */
    private static String termOf(KdConfig c, String method) {
        return c.objectiveFor(method).toString().substring("1.0*CE(y,softmax(s)) + ".length());
    }

    @Test
    void aBadLogitsEncodingFailsAtLoadNamingTheKeyAndTheAllowedValues() {
        assertEquals("float32", ConfigLoader.load(null, List.of()).softLabels().logitsEncoding().configName());
        assertEquals("topk:5:float16", ConfigLoader.load(null, List.of("soft_labels.logits_encoding=topk:5:float16")).softLabels().logitsEncoding()
                .configName());
        for (String bad : List.of("float16", "attention", "topk", "topk:0", "topk:x", "dense")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(null, List.of("soft_labels.logits_encoding=" + bad)), bad);
            assertTrue(e.getMessage().contains("soft_labels.logits_encoding '" + bad + "'") && e.getMessage().contains("topk:K")
                    && e.getMessage().contains("float32"), e.getMessage());
        }
        ConfigException zero = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("soft_labels.logits_encoding=topk:0")));
        assertTrue(zero.getMessage().contains("K >= 1"), zero.getMessage());
    }

    @Test
    void imageLimitsOutsideIdxAreRefusedRatherThanIgnored() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("dataset:\n  format: webdataset\n  path: /shards\n  train_limit: 1000\n", "x.yaml"));
        assertTrue(e.getMessage().contains("dataset.train_limit/test_limit apply to dataset.format: idx only"), e.getMessage());
        assertTrue(e.getMessage().contains("kd generate-images --train N"), e.getMessage());
        assertEquals(1000, ConfigLoader.parse("dataset:\n  train_limit: 1000\n", "x.yaml").dataset().trainLimit());
    }

    @Test
    void missingFileSaysWhereTheShippedConfigsAre() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("nope.yaml"), List.of()));
        assertTrue(e.getMessage().contains("conf/"), e.getMessage());
    }

    @Test
    void everyShippedConfigIsValid() throws IOException {
        try (Stream<Path> files = Files.list(TestSpark.repoRoot().resolve("conf"))) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 2, "conf/ should hold the default and quick configs");
            for (Path p : yamls) {
                KdConfig c = ConfigLoader.load(p, List.of());
                assertTrue(c.problems().isEmpty(), p.toString());
            }
        }
    }

    @Test
    void effectiveConfigRoundTripsThroughYaml() {
        KdConfig c = ConfigLoader.load(null, List.of("distill.alpha=0.25"));
        KdConfig again = ConfigLoader.parse(ConfigLoader.toYaml(c), "round-trip");
        assertEquals(0.25, again.distill().alpha());
        assertEquals(ConfigLoader.toMap(c), ConfigLoader.toMap(again));
    }
}
