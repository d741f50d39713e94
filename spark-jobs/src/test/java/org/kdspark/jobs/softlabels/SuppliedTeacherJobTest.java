package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigException;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.eval.Metrics;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The soft-label job with teachers trained elsewhere ({@code soft_labels.teacher_model}, ensemble members): DL4J
 * MultiLayerNetwork and ComputationGraph zips and Keras HDF5 files. The image table holds, among generated filler, the
 * four images of {@code kd-dl4j/src/test/resources/keras/expected.json}, for which numpy computed the Keras teachers'
 * logits: the store must hold those.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SuppliedTeacherJobTest {

    private static final InputSpec SPEC = InputSpec.FASHION_MNIST;
    private static final Path KERAS = Path.of(System.getProperty("user.dir")).resolveSibling("kd-dl4j").resolve("src/test/resources/keras");

    private final SparkSession spark = TestSpark.session();
    @TempDir
    static Path dir;
    private RunLayout layout;
    private List<String> baseOverrides;
    private JsonNode expected;
    /** Fixture image index by the bytes of its pixels. */
    private final Map<String, Integer> fixtures = new HashMap<>();
    private HadoopFiles files;

    @BeforeAll
    void ingestTheFixtureImagesAmongTenClassesOfFiller() throws IOException {
        expected = new ObjectMapper().readTree(KERAS.resolve("expected.json").toFile());
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 10, 2, 28, false, 4);
        JsonNode pixels = expected.get("pixels");
        for (int k = 0; k < pixels.size(); k++) {
            byte[] p = new byte[SPEC.valuesPerImage()];
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
            for (int i = 0; i < p.length; i++) {
                int v = pixels.get(k).get(i).asInt();
                p[i] = (byte) v;
                // r = g = b: the luma the folder ingest computes is v itself
                img.setRGB(i % 28, i / 28, (v << 16) | (v << 8) | v);
            }
            ImageIO.write(img, "png", images.resolve("class_" + k).resolve("fixture_" + k + ".png").toFile());
            fixtures.put(Arrays.toString(p), k);
        }
        baseOverrides = List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=2", "dataset.height=28", "dataset.width=28", "dataset.channels=1", "soft_labels.batch_size=5",
                "soft_labels.feature_taps=[]");
        KdConfig config = ConfigLoader.load(null, baseOverrides);
        layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    }

    /** conv-pool-dense-softmax, as a DL4J user builds a classifier; random weights. */
    static MultiLayerNetwork mln(int channels, int classes, long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).updater(new NoOp()).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(28, 28, channels))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(seed);
        net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5).muli(0.8));
        return net;
    }

    private String write(String name, Model model) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ModelSerializer.writeModel(model, out, false);
            String uri = dir.resolve(name).toUri().toString();
            files.writeBytes(uri, out.toByteArray());
            return uri;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The run's config with {@code overrides}, read and validated as the CLI does. */
    private KdConfig with(String... overrides) {
        List<String> all = new java.util.ArrayList<>(baseOverrides);
        all.addAll(List.of(overrides));
        return ConfigLoader.load(null, all);
    }

    /** Stored rows of the current version, by fixture index; every fixture image must be there. */
    private Map<Integer, Row> fixtureRows(StoreVersion version) {
        Map<String, byte[]> pixelsById = new HashMap<>();
        for (Row r : spark.read().parquet(layout.images()).select(ImageTable.ID, ImageTable.PIXELS).collectAsList()) {
            pixelsById.put(r.getString(0), r.getAs(1));
        }
        Map<Integer, Row> out = new HashMap<>();
        for (Row r : version.read(spark).collectAsList()) {
            Integer k = fixtures.get(Arrays.toString(pixelsById.get((String) r.getAs(SoftLabelStore.ID))));
            if (k != null) {
                out.put(k, r);
            }
        }
        assertEquals(fixtures.size(), out.size(), "every fixture image labelled");
        return out;
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private void assertLogits(String file, int fixture, float[] actual) {
        JsonNode want = expected.get("logits").get(file).get(fixture);
        assertEquals(want.size(), actual.length);
        for (int c = 0; c < actual.length; c++) {
            assertEquals(want.get(c).asDouble(), actual[c], 1e-4, file + ", fixture image " + fixture + ", class " + c);
        }
    }

    @Test
    void aKerasTeacherModelLabelsTheTableWithItsOwnLogitsAndARerunDoesNoWork() throws IOException {
        Path h5 = KERAS.resolve("sequential_cnn.h5");
        KdConfig keras = with("soft_labels.teacher_model=" + h5);
        SoftLabelJob.Result r = SoftLabelJob.run(spark, keras, layout);
        assertEquals(24, r.labelled());
        String sha = org.kdspark.kd.provenance.Hashes.sha256(Files.readAllBytes(h5));
        assertEquals(sha, r.teacherSha256(), "the version is keyed by the file's own hash");
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(sha, version.provenance().inputs().get("teacher_sha256"));
        assertEquals(files.qualify(h5.toString()), version.provenance().inputs().get("teacher"));
        assertEquals("keras-hdf5", ((Map<?, ?>) version.provenance().details().get("teacher_backend")).get("kind"));
        for (Map.Entry<Integer, Row> e : fixtureRows(version).entrySet()) {
            Row row = e.getValue();
            assertLogits("sequential_cnn.h5", e.getKey(), floats(row.getList(row.fieldIndex(SoftLabelStore.LOGITS))));
        }
        SoftLabelJob.Result again = SoftLabelJob.run(spark, keras, layout);
        assertEquals(0, again.labelled(), "same file, same images: nothing to label");
        assertEquals(r.version(), again.version());
        // backend auto: the converted graph goes to the ONNX exporter (or back to DL4J); the version stays the file's
        assertEquals(r.version(), SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + h5, "soft_labels.backend=auto"), layout).version());

        // the report evaluates the teacher that labelled (the run has no teacher of its own)
        org.kdspark.jobs.evaluate.Report.Content report = org.kdspark.jobs.evaluate.EvaluateJob.run(spark, keras, layout, Double.NaN, true);
        assertEquals(3 * 3 * 4 + 4 + 13 * 13 * 4 * 10 + 10, report.teacherParams(), "the Keras model's conv and dense parameters");
    }

    @Test
    void anEnsembleOfAMultiLayerNetworkAKerasModelAndAGraphStoresEachTeachersLogitsAndTheirMean() {
        MultiLayerNetwork net = mln(1, 10, 3);
        String mlnZip = write("teacher-mln.zip", net);
        ComputationGraph graph = mln(1, 10, 8).toComputationGraph();
        String graphZip = write("member-graph.zip", graph);
        String h5 = KERAS.resolve("functional_residual.h5").toString();
        KdConfig mixed = with("soft_labels.teacher_model=" + mlnZip, "soft_labels.ensemble_teachers=[" + h5 + ", " + graphZip + "]");
        SoftLabelJob.Result r = SoftLabelJob.run(spark, mixed, layout);
        assertEquals(24, r.labelled());
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(List.of("dl4j-multilayer", "keras-hdf5", "dl4j-graph"),
                ((List<?>) version.provenance().details().get("teachers")).stream().map(t -> ((Map<?, ?>) t).get("kind")).toList());
        for (Map.Entry<Integer, Row> e : fixtureRows(version).entrySet()) {
            Row row = e.getValue();
            List<scala.collection.Seq<Float>> members = row.getList(row.fieldIndex(SoftLabelStore.MEMBER_LOGITS));
            assertEquals(3, members.size());
            float[][] z = new float[3][10];
            for (int m = 0; m < 3; m++) {
                for (int c = 0; c < 10; c++) {
                    z[m][c] = members.get(m).apply(c);
                }
            }
            // the DL4J members: softmax of the stored logits is what the networks themselves output
            byte[] pixels = new byte[SPEC.valuesPerImage()];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (byte) expected.get("pixels").get(e.getKey()).get(i).asInt();
            }
            INDArray x = SPEC.toInput(pixels, 0, 1);
            assertArrayClose(net.output(x, false).dup('c').data().asFloat(), probabilities(z[0]), "the MultiLayerNetwork teacher");
            assertArrayClose(graph.outputSingle(x).dup('c').data().asFloat(), probabilities(z[2]), "the ComputationGraph member");
            assertLogits("functional_residual.h5", e.getKey(), z[1]);
            float[] mean = floats(row.getList(row.fieldIndex(SoftLabelStore.LOGITS)));
            for (int c = 0; c < 10; c++) {
                assertEquals((z[0][c] + z[1][c] + z[2][c]) / 3, mean[c], 1e-4, "mean of the logits, class " + c);
            }
        }
    }

    @Test
    void aTeacherForOtherImagesOrClassesOrNoKnownFileIsRefusedBeforeAnyWorkSayingWhatToChange() throws IOException {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + KERAS.resolve("sequential_cnn_14x14.h5")), layout));
        assertContains(size, "soft_labels.teacher_model", "sequential_cnn_14x14.h5", "14x14", "28x28", "dataset.height: 14");

        String rgb = write("rgb.zip", mln(3, 10, 1));
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + rgb), layout));
        assertContains(channels, "soft_labels.teacher_model", "rgb.zip", "3 channel(s)", "with 1", "dataset.channels: 3");

        String seven = write("seven.zip", mln(1, 7, 1));
        IllegalArgumentException classes = assertThrows(IllegalArgumentException.class,
                () -> SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + seven), layout));
        assertContains(classes, "soft_labels.teacher_model", "seven.zip", "7 classes", "has 10");

        IllegalArgumentException member = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark,
                with("soft_labels.teacher_model=" + KERAS.resolve("sequential_cnn.h5"), "soft_labels.ensemble_teachers=[" + seven + "]"), layout));
        assertContains(member, "soft_labels.ensemble_teachers", "seven.zip", "7 classes");

        Path notes = dir.resolve("teacher.bin");
        Files.writeString(notes, "not a model");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + notes), layout));
        assertContains(unknown, "soft_labels.teacher_model", "teacher.bin", "not a teacher", "Keras");

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> SoftLabelJob.run(spark, with("soft_labels.teacher_model=" + dir.resolve("nowhere.zip")), layout));
        assertContains(missing, "soft_labels.teacher_model", "no model at");

        ConfigException both = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                List.of("dataset.path=x", "soft_labels.backend=onnx", "soft_labels.teacher_onnx=/t.onnx", "soft_labels.teacher_model=/t.zip")));
        assertContains(both, "soft_labels.teacher_model", "teacher_onnx", "only one");
    }

    @Test
    void aPipelineWithASuppliedTeacherForOtherImagesStopsBeforeIngesting() {
        RunLayout fresh = new RunLayout(dir.resolve("pipeline").toUri().toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> org.kdspark.jobs.pipeline.PipelineJob.run(spark,
                with("soft_labels.teacher_model=" + KERAS.resolve("sequential_cnn_14x14.h5")), fresh));
        assertContains(e, "soft_labels.teacher_model", "14x14", "dataset.height: 14, dataset.width: 14");
        assertTrue(!files.exists(fresh.images()), "nothing ingested");
        // the same check passes a teacher that fits the config's images
        assertEquals(org.kdspark.kd.model.TeacherModels.Kind.KERAS_HDF5,
                org.kdspark.jobs.teacher.Teachers.checkSuppliedTeacher(files, with("soft_labels.teacher_model=" + KERAS.resolve("functional_residual.h5"))).kind());
    }

    private static void assertContains(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
    }

    private static void assertArrayClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5, what + ", class " + i);
        }
    }

    private static float[] probabilities(float[] logits) {
        double[] p = Metrics.softmax(logits, 0, logits.length);
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) p[i];
        }
        return out;
    }
}
