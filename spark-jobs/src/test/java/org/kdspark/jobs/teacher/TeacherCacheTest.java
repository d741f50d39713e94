package org.kdspark.jobs.teacher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.EnsembleMode;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.models.Models;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;

/** The executors' DL4J teacher cache: each teacher of a job deserialised once per JVM, an ensemble's members included. */
class TeacherCacheTest {

    private static final InputSpec SPEC = new InputSpec(1, 12, 12);

    private final SparkSession spark = TestSpark.session();

    @Test
    void anEnsembleOfDl4jTeachersLoadsEachMemberOncePerJvmNotOncePerBatch() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<TeacherBackend> members = new java.util.ArrayList<>();
        for (long seed : new long[] {3, 4}) {
            ComputationGraph teacher = Models.teacher(KdConfig.defaults().teacher().withArchitecture("cnn-small").withSeed(seed), SPEC, 3);
            byte[] zip = ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false);
            members.add(new Dl4jTeacherBackend(jsc.broadcast(zip), Hashes.sha256(zip), SPEC, List.of()));
        }
        EnsembleTeacherBackend ensemble = new EnsembleTeacherBackend(members, EnsembleMode.MEAN_LOGITS);
        byte[] pixels = new byte[8 * SPEC.valuesPerImage()];
        new Random(5).nextBytes(pixels);

        int before = TeacherCache.loads();
        TeacherBackend.Outputs first = ensemble.label(pixels, 8);
        for (int batch = 0; batch < 5; batch++) {
            assertArrayEquals(first.logits(), ensemble.label(pixels, 8).logits(), "a cached teacher labels as the loaded one");
        }
        assertEquals(2, TeacherCache.loads() - before, "each of the two members is deserialised once, whatever the batches");
        members.forEach(TeacherBackend::release);
    }
}
