package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;

/**
 * The scale bench on two small sizes, on {@code local[2]} and on {@code local-cluster} (executor JVMs of their own):
 * every case warms its JVMs up, reconciles its counts, and reports a peak RSS for the driver and for each executor.
 */
@Tag("slow")
class ScaleBenchTest {

    @Test
    @SuppressWarnings("unchecked")
    void everyCaseCountsItsImagesAndReportsEachProcesssPeak(@TempDir Path dir) throws Exception {
        List<Integer> sizes = List.of(1000, 2000);
        Map<String, Object> r = ScaleBench.run(new ScaleBench.Options(sizes, List.of("local[2]", "local-cluster[2,1,1024]"), dir,
                TestSpark.repoRoot().resolve("conf/fashion-mnist-rgb.yaml"), "1500m", "768m", 32, 1, 1000, "file:///usr/share/datasets/fashion-mnist"));
        assertEquals(sizes, r.get("sizes"));
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("runs");
        assertEquals(List.of("local[2]", "local-cluster[2,1,1024]"), runs.stream().map(m -> m.get("master")).toList());
        for (Map<String, Object> run : runs) {
            boolean cluster = run.get("master").toString().startsWith("local-cluster");
            for (String figure : List.of("ingest_seconds_per_1k", "soft_labels_seconds_per_1k", "distill_epoch_seconds_per_1k",
                    "driver_peak_rss_mb", "executor_peak_rss_mb", "pixel_bytes")) {
                List<Number> values = (List<Number>) run.get(figure);
                assertEquals(2, values.size(), figure);
                assertTrue(values.stream().allMatch(v -> v.doubleValue() > 0), figure + " " + values);
            }
            assertTrue(((List<Number>) run.get("driver_peak_rss_mb")).stream().allMatch(v -> v.doubleValue() > 100), run.toString());
            List<List<Map<String, Object>>> cases = (List<List<Map<String, Object>>>) run.get("cases");
            for (int i = 0; i < sizes.size(); i++) {
                Map<String, Object> c = cases.get(i).get(0);
                int n = sizes.get(i);
                assertEquals(n + ScaleBench.validation(n), ((Number) c.get("images")).intValue(), c.toString());
                assertEquals(c.get("images"), c.get("labelled"), "every image labelled once");
                assertEquals(n, ((Number) c.get("train_examples")).intValue(), "every training image in the epoch");
                assertEquals(0, ((Number) c.get("rejected")).intValue());
                assertEquals(List.of("ingest", "soft_labels", "distill"), List.copyOf(((Map<String, Object>) c.get("warmup_seconds")).keySet()),
                        "the three jobs ran once untimed first");
                assertEquals(n * 32L * 32 * 3, ((Number) c.get("pixel_bytes")).longValue());
                Map<String, Number> executors = (Map<String, Number>) c.get("executor_peak_rss_bytes");
                assertEquals(cluster ? 2 : 0, executors.size(), "one peak per executor JVM: " + executors);
                assertTrue(executors.values().stream().allMatch(v -> v.longValue() > 100L << 20), executors.toString());
            }
        }
        assertTrue(Files.exists(dir.resolve("images-2000/generator.json")), "the sets are kept for the next run");
        assertFalse(Files.exists(dir.resolve("images-2000/folder")), "shards only");
        assertFalse(Files.exists(dir.resolve("run")), "each case's run is deleted after it");
        String md = ScaleBench.markdown(r);
        assertTrue(md.contains("| local-cluster[2,1,1024] | 2,000 |"), md);
    }
}
