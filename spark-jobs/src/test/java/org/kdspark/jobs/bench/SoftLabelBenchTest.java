package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;

/** kd bench soft-labels on a slice of Fashion-MNIST: both ways over the same images, the derived figures consistent. */
class SoftLabelBenchTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void labelsTheSameImagesBothWaysAndMeasuresEveryEncoding(@TempDir Path dir) {
        KdConfig config = ConfigLoader.load(TestSpark.repoRoot().resolve("conf/fashion-mnist-quick.yaml"), List.of("output=" + dir.resolve("run").toUri(),
                "dataset.train_limit=600", "dataset.test_limit=200", "teacher.architecture=cnn-small", "teacher.epochs=1"));
        Map<String, Object> r = SoftLabelBench.run(spark, config, new RunLayout(config.output()), dir.resolve("scratch"), 0.5);

        assertEquals(800L, r.get("images"));
        double spark = (Double) r.get("spark_images_per_s");
        double plain = (Double) r.get("plain_images_per_s");
        assertTrue(spark > 0 && plain > 0, r.toString());
        assertEquals(spark / plain, (Double) r.get("ratio"), 1e-12);
        double mflops = (Double) r.get("teacher_mflops_per_image");
        double gemm = (Double) r.get("gemm_gflops");
        assertTrue(mflops > 0 && gemm > 0, r.toString());
        assertEquals(spark * mflops / 1000 / gemm, (Double) r.get("roofline_fraction"), 1e-12);

        @SuppressWarnings("unchecked")
        Map<String, Object> bytes = (Map<String, Object>) r.get("bytes_per_row");
        assertTrue(((Number) bytes.get("as_written")).doubleValue() > 0, bytes.toString());
        double float16 = ((Number) bytes.get("block2/float16")).doubleValue();
        double attention = ((Number) bytes.get("block2/attention")).doubleValue();
        double pooled = ((Number) bytes.get("block2/avgpool:1x1")).doubleValue();
        assertTrue(attention < float16 && pooled < float16, "the summaries are smaller than the map: " + bytes);
        assertTrue(((Number) bytes.get("logits/topk:1")).doubleValue() < ((Number) bytes.get("logits/float32")).doubleValue(), bytes.toString());
        String md = SoftLabelBench.markdown(r);
        assertTrue(md.contains("| plain DL4J loop, one JVM |") && md.contains("| block2/attention |"), md);
    }
}
