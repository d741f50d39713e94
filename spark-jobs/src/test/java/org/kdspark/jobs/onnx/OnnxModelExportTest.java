package org.kdspark.jobs.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigException;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.LabellingBackend;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.teacher.OnnxTeachers;
import org.kdspark.jobs.teacher.PreparedTeacher;
import org.kdspark.jobs.teacher.TeacherSource;
import org.kdspark.jobs.teacher.Teachers;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.data.Normalization;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.OnnxClassifier;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;

/** ONNX files of a run: {@code kd export --format onnx}, the student's model.onnx, and the soft-label job's ONNX teacher choice. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxModelExportTest {

    private static final InputSpec SPEC = new InputSpec(3, 16, 16);

    private final SparkSession spark = TestSpark.session();
    @TempDir
    static Path dir;
    private RunLayout layout;
    private HadoopFiles files;
    private ComputationGraph teacher;
    private LabeledImages test;

    @BeforeAll
    void ingestGeneratedImagesAndSaveATeacher() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 10, 16, true, 5);
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=2", "dataset.height=16", "dataset.width=16", "dataset.channels=3"));
        layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        teacher = Models.teacher(t, SPEC, 4);
        files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        files.writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false));
        test = TableImages.collect(ImageTable.open(spark, layout.images()), ImageTable.TEST).images();
    }

    @Test
    void exportWritesAVerifiedFileWithProvenanceThatLabelsLikeDl4j() throws IOException {
        Path out = dir.resolve("exported/teacher.onnx");
        OnnxModelExport.Result r = OnnxModelExport.run(spark, layout, "teacher", out.toString(), List.of("block2"));
        assertTrue(Files.isRegularFile(out));
        assertEquals(List.of("output", "logits", "block2"), r.outputs());
        assertEquals(test.count(), r.verifiedImages());
        assertTrue(r.maxAbsDiff() <= 1e-4, "max abs diff " + r.maxAbsDiff());
        try (OnnxClassifier onnx = OnnxClassifier.open(Files.readAllBytes(out), SPEC, null, List.of("block2"), 1, false)) {
            Provenance p = Provenance.fromJson(onnx.metadata().get("kd.provenance"));
            p.requireCompatible(OnnxModelExport.KIND, OnnxModelExport.SCHEMA_VERSION, out.toString());
            assertEquals(files.sha256(layout.teacherModel()), p.inputs().get("source_sha256"));
            assertEquals("teacher", p.details().get("source_kind"));
            assertEquals(Integer.toString(test.count()), onnx.metadata().get("kd.verified.images"));
            OnnxClassifier.Outputs o = onnx.run(test.pixels(), 0, test.count());
            INDArray dl4j = GraphOutputs.activations(teacher, SPEC.toInput(test.pixels(), 0, test.count()), List.of(GraphOutputs.LOGITS))[0];
            assertArrayEquals(dl4j.dup('c').data().asFloat(), o.logits(), 1e-4f);
        }
    }

    @Test
    void aStudentGetsItsModelOnnxNextToItsZip() {
        String zip = layout.studentModel("kd");
        files.writeBytes(zip, ModelFiles.toZip(teacher, Provenance.of("student", 1, "test"), false));
        OnnxModelExport.Result r = OnnxModelExport.nextToStudent(files, zip, teacher, Provenance.of("student", 1, "test"), test);
        assertEquals(layout.studentDir("kd") + "/model.onnx", r.file());
        assertTrue(files.exists(r.file()));
        assertEquals(List.of("output", "logits"), r.outputs());
    }

    @Test
    void aStudentWithExtraLossHeadsExportsToo() {
        // fitnets adds a regressor and a loss head beside the logits: they export (and verify) as further outputs
        KdConfig c = ConfigLoader.load(null, List.of("distill.method=fitnets", "soft_labels.feature_taps=[block2]"));
        ComputationGraph student = Models.student(c.distill(), SPEC, 4, c.studentObjective(),
                new TeacherShapes(java.util.Map.of("logits", new int[] {4}, "block2", new int[] {16, 4, 4})));
        String zip = layout.studentModel("fitnets");
        files.writeBytes(zip, ModelFiles.toZip(student, Provenance.of("student", 1, "test"), false));
        OnnxModelExport.Result r = OnnxModelExport.nextToStudent(files, zip, student, Provenance.of("student", 1, "test"), test);
        assertTrue(r != null && r.outputs().contains("logits") && r.outputs().size() > 2, String.valueOf(r));
    }

    @Test
    void unknownModelsAndTapsAreRefusedNamingTheChoices() {
        IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
                () -> OnnxModelExport.run(spark, layout, "nosuch", dir.resolve("x.onnx").toString(), List.of()));
        assertTrue(model.getMessage().contains("'teacher'") && model.getMessage().contains("students"), model.getMessage());
        IllegalArgumentException tap = assertThrows(IllegalArgumentException.class,
                () -> OnnxModelExport.run(spark, layout, "teacher", dir.resolve("x.onnx").toString(), List.of("block9")));
        assertTrue(tap.getMessage().contains("'block9'") && tap.getMessage().contains("block2"), tap.getMessage());
        assertTrue(!Files.exists(dir.resolve("x.onnx")));
    }

    @Test
    void theSoftLabelBackendPicksTheVerifiedExportAnExternalFileOrDl4j() throws IOException {
        KdConfig.SoftLabels defaults = KdConfig.defaults().softLabels().withFeatureTaps(List.of("block2"));
        Teachers.Context context = new Teachers.Context(files, SPEC, Normalization.UNIT, 4, List.of("block2"), defaults.withBackend(LabellingBackend.DL4J),
                () -> test, "test split");
        TeacherSource run = new TeacherSource.Trained(layout.teacherModel(), null);
        assertEquals("dl4j", Teachers.prepare(run, context).details().get("backend"));

        KdConfig.SoftLabels auto = defaults.withBackend(LabellingBackend.AUTO);
        OnnxTeachers.OnnxTeacher exported = OnnxTeachers.exported(auto, files, original(() -> teacher), null, List.of("block2"), () -> test,
                "test split").orElseThrow();
        assertEquals(OnnxClassifier.LOGITS, exported.logitsOutput());
        assertEquals(test.count(), exported.details().get("verified_images"));

        Path external = dir.resolve("external.onnx");
        Files.write(external, exported.onnx());
        PreparedTeacher given = Teachers.prepare(new TeacherSource.OnnxFile(external.toString(), "soft_labels.teacher_onnx"),
                new Teachers.Context(files, SPEC, Normalization.UNIT, 4, List.of("block2"), auto, () -> test, "test split"));
        assertEquals(exported.sha256(), given.sha256());
        assertEquals(files.qualify(external.toString()), given.source());

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                List.of("soft_labels.backend=dl4j", "soft_labels.teacher_onnx=/x.onnx")));
        assertTrue(e.getMessage().contains("soft_labels.teacher_onnx"), e.getMessage());
        ConfigException device = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("soft_labels.onnx_device=tpu")));
        assertTrue(device.getMessage().contains("soft_labels.onnx_device") && device.getMessage().contains("cuda"), device.getMessage());
    }

    @Test
    void aTeacherThatDoesNotExportFallsBackToDl4jUnderAutoAndFailsUnderOnnx() {
        // Upsampling2D has no ONNX conversion: auto labels with DL4J (with a warning), onnx stops naming the layer
        ComputationGraph odd = new ComputationGraph(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("input")
                .addLayer("up", new org.deeplearning4j.nn.conf.layers.Upsampling2D.Builder(2).build(), "input")
                .addLayer("logits", new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(4)
                        .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build(), "up")
                .addLayer("output", new org.deeplearning4j.nn.conf.layers.LossLayer.Builder().build(), "logits")
                .setOutputs("output")
                .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(16, 16, 3)).build());
        odd.init();
        KdConfig.SoftLabels s = KdConfig.defaults().softLabels().withBackend(LabellingBackend.AUTO);
        assertEquals(Optional.empty(), OnnxTeachers.exported(s, files, original(() -> odd), null, List.of(), () -> test, "test split"));
        KdConfig.SoftLabels onnx = s.withBackend(LabellingBackend.ONNX);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OnnxTeachers.exported(onnx, files, original(() -> odd), null, List.of(), () -> test, "test split"));
        assertTrue(e.getMessage().contains("'up'") && e.getMessage().contains("Upsampling2D") && e.getMessage().contains("auto"),
                e.getMessage());
    }

    @Test
    void theVerifiedExportIsKeptBesideTheTeacherAndReusedForTheSameTeacherAndTaps() throws IOException {
        KdConfig.SoftLabels s = KdConfig.defaults().softLabels().withBackend(LabellingBackend.ONNX);
        Path cache = Files.createDirectories(dir.resolve("teacher-cache"));
        String cacheUri = cache.toUri().toString();
        java.util.concurrent.atomic.AtomicInteger samples = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<org.kdspark.kd.data.LabeledImages> sample = () -> {
            samples.incrementAndGet();
            return test;
        };
        java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<ComputationGraph> dl4j = () -> {
            loads.incrementAndGet();
            return teacher;
        };
        java.util.concurrent.atomic.AtomicInteger provenances = new java.util.concurrent.atomic.AtomicInteger();
        OnnxTeachers.Dl4jOriginal counted = new OnnxTeachers.Dl4jOriginal(layout.teacherModel(), files.sha256(layout.teacherModel()), dl4j,
                () -> {
                    provenances.incrementAndGet();
                    return null;
                });
        OnnxTeachers.OnnxTeacher first = OnnxTeachers.exported(s, files, counted, cacheUri, List.of("block2"), sample,
                "test split").orElseThrow();
        assertTrue(Files.exists(cache.resolve(OnnxTeachers.CACHED)) && Files.exists(cache.resolve(OnnxTeachers.CACHED + ".json")));
        OnnxTeachers.OnnxTeacher again = OnnxTeachers.exported(s, files, counted, cacheUri, List.of("block2"), sample,
                "test split").orElseThrow();
        assertEquals(1, samples.get(), "the second job neither exports nor verifies");
        assertEquals(1, loads.get(), "the second job does not load the DL4J teacher");
        assertEquals(1, provenances.get(), "nor read its provenance");
        assertEquals(first.sha256(), again.sha256());
        assertEquals(first.details().get("verified_max_abs_diff"), again.details().get("verified_max_abs_diff"));
        assertTrue(again.details().get("reused").toString().endsWith(OnnxTeachers.CACHED), again.details().toString());

        // other taps, or a kept file that is not the one the sidecar describes: exported again
        OnnxTeachers.exported(s, files, original(dl4j), cacheUri, List.of(), sample, "test split").orElseThrow();
        assertEquals(2, samples.get());
        Files.write(cache.resolve(OnnxTeachers.CACHED), new byte[] {1, 2, 3});
        OnnxTeachers.OnnxTeacher redone = OnnxTeachers.exported(s, files, original(dl4j), cacheUri, List.of(), sample,
                "test split").orElseThrow();
        assertEquals(3, samples.get());
        assertTrue(!redone.details().containsKey("reused"));
    }

    /** The test's teacher file, its graph given by {@code graph}; the provenance of an export is none. */
    private OnnxTeachers.Dl4jOriginal original(java.util.function.Supplier<ComputationGraph> graph) {
        return new OnnxTeachers.Dl4jOriginal(layout.teacherModel(), files.sha256(layout.teacherModel()), graph, () -> null);
    }
}
