package org.kdspark.jobs.softlabels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.EnsembleMode;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.models.Models;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.teacher.Dl4jTeacherBackend;
import org.kdspark.jobs.teacher.TeacherCache;
import org.kdspark.jobs.teacher.TeacherChecks;
import org.kdspark.jobs.teacher.TeacherLabeler;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;
import org.kdspark.kd.codec.TensorEncoding;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.eval.Metrics;
import org.kdspark.kd.loss.AttentionTransferLoss;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.api.ndarray.INDArray;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SoftLabelJobTest {

    private static final InputSpec SPEC = new InputSpec(3, 16, 16);

    private final SparkSession spark = TestSpark.session();
    @TempDir
    static Path dir;
    private RunLayout layout;
    private KdConfig config;
    private ComputationGraph teacher;

    @BeforeAll
    void ingestGeneratedImagesAndSaveATeacher() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 10, 16, true, 3);
        config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=4", "dataset.height=16", "dataset.width=16", "dataset.channels=3", "soft_labels.batch_size=7",
                "soft_labels.feature_taps=[block2, embedding]"));
        layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.run(spark, config, layout);
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        teacher = Models.teacher(t, SPEC, 4);
        new HadoopFiles(spark.sparkContext().hadoopConfiguration())
                .writeBytes(layout.teacherModel(), ModelFiles.toZip(teacher, Provenance.of("teacher", 1, "test"), false));
    }

    @Test
    void storeHasSchemaRowsLogitsFeaturesAndProvenanceAndTheTeacherIsLoadedOncePerExecutor() {
        int loadsBefore = TeacherCache.loads();
        SoftLabelJob.Result r = SoftLabelJob.run(spark, config, layout);
        // local[2]: one executor (the driver JVM) running 4 partitions on 2 threads -> one load
        assertEquals(1, TeacherCache.loads() - loadsBefore, "teacher deserialisations");

        assertEquals(40, r.rows());
        assertEquals(40, r.labelled());
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals(r.version(), version.name());
        Dataset<Row> store = version.read(spark);
        assertEquals(SoftLabelStore.schema(List.of("block2", "embedding")).fieldNames().length, store.schema().fieldNames().length);
        assertEquals(DataTypes.FloatType, ((org.apache.spark.sql.types.ArrayType) store.schema().apply(SoftLabelStore.LOGITS).dataType()).elementType());
        assertEquals(DataTypes.BinaryType, store.schema().apply("feature_block2").dataType());

        // logits and features equal the teacher's own output for the same images
        List<Row> images = spark.read().parquet(layout.images()).orderBy(ImageTable.ID).collectAsList();
        Map<String, Row> byId = new java.util.HashMap<>();
        for (Row row : store.collectAsList()) {
            byId.put(row.getAs(SoftLabelStore.ID), row);
        }
        Row image = images.get(5);
        INDArray[] expected = GraphOutputs.activations(teacher, SPEC.toInput(image.getAs(ImageTable.PIXELS), 0, 1),
                List.of(GraphOutputs.LOGITS, "block2"));
        Row stored = byId.get((String) image.getAs(ImageTable.ID));
        List<Float> logits = stored.getList(stored.fieldIndex(SoftLabelStore.LOGITS));
        float[] expectedLogits = expected[0].data().asFloat();
        for (int c = 0; c < 4; c++) {
            assertEquals(expectedLogits[c], logits.get(c), 1e-5);
        }
        float[] feature = TensorEncoding.FLOAT16.decode(stored.getAs("feature_block2"));
        float[] expectedFeature = expected[1].dup('c').data().asFloat();
        assertEquals(expectedFeature.length, feature.length);
        for (int i = 0; i < feature.length; i++) {
            assertEquals(expectedFeature[i], feature[i], 2e-3 * Math.max(1, Math.abs(expectedFeature[i])));
        }
        assertEquals((int) image.getAs(ImageTable.LABEL), (int) stored.getAs(SoftLabelStore.LABEL));

        // provenance: footer of every file and the sidecar agree, with the teacher's hash
        Provenance p = version.provenance();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        assertEquals(files.sha256(layout.teacherModel()), p.inputs().get("teacher_sha256"));
        assertEquals(40L, p.counts().get("rows"));
        assertTrue(p.code().containsKey("version"));
        Map<String, String> footer = ParquetArtifacts.footerMetadata(spark.sparkContext().hadoopConfiguration(), version.batchUris().get(0));
        Provenance fromFooter = Provenance.fromJson(footer.get(ParquetArtifacts.FOOTER_KEY));
        assertEquals(p.inputs(), fromFooter.inputs());
        assertEquals(p.createdAt(), fromFooter.createdAt());
        @SuppressWarnings("unchecked")
        Map<String, Object> features = (Map<String, Object>) p.details().get("features");
        assertEquals(Map.of("column", "feature_block2", "shape", List.of(16, 4, 4), "source_shape", List.of(16, 4, 4), "encoding", "float16"),
                features.get("block2"));
        assertArrayEquals(new long[] {16, 4, 4}, java.util.Arrays.copyOfRange(expected[1].shape(), 1, 4));

        // per-row values are written plain, the split and label columns with a dictionary
        Map<String, Boolean> dictionary = dictionaryEncoded(version.batchUris().get(0));
        assertEquals(Map.of(SoftLabelStore.ID, false, SoftLabelStore.SPLIT, true, SoftLabelStore.LABEL, true, SoftLabelStore.IMAGE_HASH, false,
                SoftLabelStore.LOGITS + ".list.element", false, "feature_block2", false, "feature_embedding", false), dictionary);
    }

    /** Whether each column chunk of the first row group of the first file under {@code uri} has a dictionary page. */
    private Map<String, Boolean> dictionaryEncoded(String uri) {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(uri);
            org.apache.hadoop.fs.FileStatus file = java.util.Arrays.stream(dir.getFileSystem(conf).listStatus(dir))
                    .filter(f -> f.getPath().getName().endsWith(".parquet")).findFirst().orElseThrow();
            try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromStatus(file, conf))) {
                Map<String, Boolean> out = new java.util.HashMap<>();
                for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData c : reader.getFooter().getBlocks().get(0).getColumns()) {
                    out.put(c.getPath().toDotString(), c.hasDictionaryPage());
                }
                return out;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void perTapEncodingsStoreTheAttentionMapAndANewEncodingIsANewVersion() {
        KdConfig compact = config.withSoftLabels(s -> s.withEncodings(ColumnEncoding.parse("float32"),
                Map.of("block2", ColumnEncoding.parse("attention")), s.logitsEncoding()));
        SoftLabelJob.Result r = SoftLabelJob.run(spark, compact, layout);
        assertEquals(40, r.labelled(), "another encoding is another version: everything is labelled for it");
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        @SuppressWarnings("unchecked")
        Map<String, Object> features = (Map<String, Object>) version.provenance().details().get("features");
        assertEquals(Map.of("column", "feature_block2", "shape", List.of(4, 4), "source_shape", List.of(16, 4, 4), "encoding", "attention"),
                features.get("block2"));
        assertEquals("float32", ((Map<?, ?>) features.get("embedding")).get("encoding"));
        assertArrayEquals(new int[] {4, 4}, version.signals().get("block2").shape());

        Row image = spark.read().parquet(layout.images()).orderBy(ImageTable.ID).collectAsList().get(3);
        INDArray map = GraphOutputs.activations(teacher, SPEC.toInput(image.getAs(ImageTable.PIXELS), 0, 1), List.of("block2"))[0];
        double[] expected = AttentionTransferLoss.normalizedAttentionMap(map.dup('c').data().asDouble(), 16);
        Row stored = version.read(spark).filter(org.apache.spark.sql.functions.col(SoftLabelStore.ID).equalTo((String) image.getAs(ImageTable.ID)))
                .first();
        float[] attention = version.signals().get("block2").encoding().decode(stored.getAs("feature_block2"), new int[] {4, 4});
        assertEquals(16, attention.length);
        for (int p = 0; p < 16; p++) {
            assertEquals(expected[p], attention[p], 1e-3, "attention map at position " + p);
        }
    }

    @Test
    void anEnsembleOfDl4jAndOnnxTeachersStoresTheMeanAndEachTeachersLogits() {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small").withSeed(2);
        ComputationGraph second = Models.teacher(t, SPEC, 4);
        String secondZip = dir.resolve("second.zip").toUri().toString();
        files.writeBytes(secondZip, ModelFiles.toZip(second, Provenance.of("teacher", 1, "test"), false));
        String secondOnnx = dir.resolve("second.onnx").toString();
        org.kdspark.jobs.onnx.OnnxModelExport.run(spark, layout, secondZip, secondOnnx, List.of());

        KdConfig ensemble = config.withSoftLabels(s -> s.withEnsemble(List.of(secondZip, secondOnnx), s.ensemble()));
        SoftLabelJob.Result r = SoftLabelJob.run(spark, ensemble, layout);
        assertEquals(40, r.labelled(), "an ensemble is a version of its own");
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        assertEquals("mean_logits", version.provenance().details().get("ensemble"));
        assertEquals(3, ((List<?>) version.provenance().details().get("teachers")).size());

        Row image = spark.read().parquet(layout.images()).orderBy(ImageTable.ID).collectAsList().get(7);
        INDArray input = SPEC.toInput(image.getAs(ImageTable.PIXELS), 0, 1);
        float[] z1 = GraphOutputs.activations(teacher, input, List.of(GraphOutputs.LOGITS))[0].data().asFloat();
        float[] z2 = GraphOutputs.activations(second, input, List.of(GraphOutputs.LOGITS))[0].data().asFloat();
        Row stored = version.read(spark).filter(org.apache.spark.sql.functions.col(SoftLabelStore.ID).equalTo((String) image.getAs(ImageTable.ID)))
                .first();
        List<Float> logits = stored.getList(stored.fieldIndex(SoftLabelStore.LOGITS));
        List<scala.collection.Seq<Float>> members = stored.getList(stored.fieldIndex(SoftLabelStore.MEMBER_LOGITS));
        assertEquals(3, members.size());
        for (int c = 0; c < 4; c++) {
            assertEquals(z1[c], members.get(0).apply(c), 1e-5, "the run's teacher");
            assertEquals(z2[c], members.get(1).apply(c), 1e-5, "the second teacher in DL4J");
            assertEquals(z2[c], members.get(2).apply(c), 1e-4, "the second teacher's ONNX export");
            assertEquals((z1[c] + 2 * z2[c]) / 3, logits.get(c), 1e-4, "the mean of the logits");
        }

        // mean of probabilities: softmax of the stored logits is the members' mean softmax
        KdConfig probs = ensemble.withSoftLabels(s -> s.withEnsemble(List.of(secondZip), EnsembleMode.MEAN_PROBS));
        SoftLabelJob.run(spark, probs, layout);
        StoreVersion probsVersion = SoftLabelStore.open(spark, layout.softLabels());
        Row p = probsVersion.read(spark).filter(org.apache.spark.sql.functions.col(SoftLabelStore.ID).equalTo((String) image.getAs(ImageTable.ID)))
                .first();
        List<Float> mixed = p.getList(p.fieldIndex(SoftLabelStore.LOGITS));
        double[] q1 = Metrics.softmax(z1, 0, z1.length);
        double[] q2 = Metrics.softmax(z2, 0, z2.length);
        float[] m = new float[4];
        for (int c = 0; c < 4; c++) {
            m[c] = mixed.get(c);
        }
        double[] q = Metrics.softmax(m, 0, m.length);
        for (int c = 0; c < 4; c++) {
            assertEquals((q1[c] + q2[c]) / 2, q[c], 1e-5, "mean probability of class " + c);
        }

        KdConfig.Teacher w = KdConfig.defaults().teacher().withArchitecture("cnn-small");
        String wrongZip = dir.resolve("wrong.zip").toUri().toString();
        files.writeBytes(wrongZip, ModelFiles.toZip(Models.teacher(w, SPEC, 7), Provenance.of("teacher", 1, "test"), false));
        KdConfig wrong = config.withSoftLabels(s -> s.withEnsemble(List.of(wrongZip), s.ensemble()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark, wrong, layout));
        assertTrue(e.getMessage().contains("ensemble_teachers") && e.getMessage().contains("wrong.zip") && e.getMessage().contains("7 classes"),
                e.getMessage());
    }

    @Test
    void augmentedViewsAreLabelledWithTheirParametersAndReadersSeeOneRowPerImage() {
        KdConfig augmented = config.withSoftLabels(s -> s.withViews(2, 2, true, s.viewSeed()));
        SoftLabelJob.Result r = SoftLabelJob.run(spark, augmented, layout);
        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        long train = spark.read().parquet(layout.images()).filter("split = 'train'").count();
        assertEquals(40 + 2 * train, r.rows(), "views 1 and 2 of every training image, besides the images themselves");
        assertEquals(2, version.views());
        Dataset<Row> images = spark.read().parquet(layout.images());
        assertEquals(40, version.labelsFor(spark, images).count(), "one row per image for readers that want the image itself");
        assertEquals(40 + 2 * train, version.labelsWithViews(spark, images).count());

        Row image = images.filter("split = 'train'").orderBy(ImageTable.ID).first();
        String id = image.getAs(ImageTable.ID);
        List<Row> rows = version.read(spark).filter(org.apache.spark.sql.functions.col(SoftLabelStore.ID).equalTo(id))
                .orderBy(SoftLabelStore.VIEW).collectAsList();
        assertEquals(3, rows.size());
        for (Row row : rows) {
            int v = row.getAs(SoftLabelStore.VIEW);
            org.kdspark.kd.data.ImageView view = org.kdspark.kd.data.ImageView.of(11, id, v, 2, true);
            assertEquals(List.of(view.dx(), view.dy(), view.flip()),
                    List.of(row.getAs(SoftLabelStore.VIEW_DX), row.getAs(SoftLabelStore.VIEW_DY), row.getAs(SoftLabelStore.VIEW_FLIP)));
            byte[] pixels = view.apply(image.getAs(ImageTable.PIXELS), SPEC);
            float[] expected = GraphOutputs.activations(teacher, SPEC.toInput(pixels, 0, 1), List.of(GraphOutputs.LOGITS))[0].data().asFloat();
            List<Float> logits = row.getList(row.fieldIndex(SoftLabelStore.LOGITS));
            for (int c = 0; c < 4; c++) {
                assertEquals(expected[c], logits.get(c), 1e-5, "view " + v + " is labelled from its own pixels");
            }
        }
        assertEquals(0, SoftLabelJob.run(spark, augmented, layout).labelled(), "views are part of the version: nothing to redo");
    }

    @Test
    void topKLogitsComposeWithAnEnsembleAndViews() {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        KdConfig.Teacher t = KdConfig.defaults().teacher().withArchitecture("cnn-small").withSeed(5);
        ComputationGraph second = Models.teacher(t, SPEC, 4);
        String secondZip = dir.resolve("second-topk.zip").toUri().toString();
        files.writeBytes(secondZip, ModelFiles.toZip(second, Provenance.of("teacher", 1, "test"), false));
        KdConfig both = config.withSoftLabels(s -> s.withEnsemble(List.of(secondZip), s.ensemble()).withViews(1, 2, s.viewFlip(), s.viewSeed())
                .withEncodings(s.featureEncoding(), s.tapEncodings(), LogitsEncoding.parse("topk:2:float16")));

        SoftLabelJob.Result r = SoftLabelJob.run(spark, both, layout);

        StoreVersion version = SoftLabelStore.open(spark, layout.softLabels());
        long train = spark.read().parquet(layout.images()).filter("split = 'train'").count();
        assertEquals(40, r.labelled(), "a version of its own");
        assertEquals(40 + train, r.rows(), "every image and its view");
        Dataset<Row> store = version.read(spark);
        assertEquals(List.of(false, true, true), List.of(List.of(store.schema().fieldNames()).contains(SoftLabelStore.LOGITS),
                List.of(store.schema().fieldNames()).contains(SoftLabelStore.LOGITS_TOPK),
                List.of(store.schema().fieldNames()).contains(SoftLabelStore.MEMBER_LOGITS)));
        SoftLabelStore.Signal logits = version.signals().get(SoftLabelStore.LOGITS);
        assertEquals(new org.kdspark.kd.codec.ColumnEncoding.TopK(2, TensorEncoding.FLOAT16), logits.encoding());
        // each row, image or view: the cell is the top-2 (float16) of the members' mean logits, member_logits stays dense
        int field = store.schema().fieldIndex(SoftLabelStore.LOGITS_TOPK);
        int views = 0;
        for (Row row : store.collectAsList()) {
            byte[] cell = row.getAs(SoftLabelStore.LOGITS_TOPK);
            assertEquals(3 * 2 + 2 * 2, cell.length, "2 values and the tail in float16, 2 uint16 indices");
            List<scala.collection.Seq<Float>> members = row.getList(row.fieldIndex(SoftLabelStore.MEMBER_LOGITS));
            float[] mean = new float[4];
            for (int c = 0; c < 4; c++) {
                mean[c] = (members.get(0).apply(c) + members.get(1).apply(c)) / 2;
            }
            float[] expected = logits.encoding().decode(logits.encoding().encode(mean, 0, new int[] {4}), new int[] {4});
            float[] decoded = new float[4];
            logits.decodeInto(row, field, decoded, 0);
            for (int c = 0; c < 4; c++) {
                assertEquals(expected[c], decoded[c], 4e-3 * Math.max(1, Math.abs(expected[c])), "class " + c);
            }
            views += (int) row.getAs(SoftLabelStore.VIEW) > 0 ? 1 : 0;
        }
        assertEquals(train, views);
        assertEquals(0, SoftLabelJob.run(spark, both, layout).labelled(), "nothing to redo");
    }

    @Test
    void aLogitsEncodingForATapOrAnEncodingThatDoesNotFitIsRefusedNamingTheKey() {
        RuntimeException topk = assertThrows(RuntimeException.class, () -> ConfigLoader.load(null, List.of("dataset.path=x",
                "soft_labels.feature_taps=[block2]", "soft_labels.tap_encodings={block2: 'topk:3', block9: float16}")));
        assertTrue(topk.getMessage().contains("soft_labels.tap_encodings.block2") && topk.getMessage().contains("for logits"), topk.getMessage());
        assertTrue(topk.getMessage().contains("soft_labels.tap_encodings.block9"), topk.getMessage());
        // pooling needs a feature map: the 32-wide embedding is refused before any work, naming the key and the tap
        KdConfig pooled = config.withSoftLabels(s -> s.withEncodings(ColumnEncoding.parse("avgpool:2x2"), s.tapEncodings(), s.logitsEncoding()));
        IllegalArgumentException fit = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark, pooled, layout));
        assertTrue(fit.getMessage().contains("soft_labels.feature_encoding") && fit.getMessage().contains("'embedding'"), fit.getMessage());
        TeacherLabeler labeler = new TeacherLabeler(new Dl4jTeacherBackend(null, "x", SPEC, List.of("block2"))).setTapEncodings(Map.of("embedding", "float16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, labeler::encodings);
        assertTrue(e.getMessage().contains("embedding=float16") && e.getMessage().contains("[block2]"), e.getMessage());
    }

    @Test
    void aTapTheTeacherLacksFailsBeforeAnyWorkNamingTheChoices() {
        KdConfig bad = config.withSoftLabels(s -> s.withFeatureTaps(List.of("block9")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SoftLabelJob.run(spark, bad, layout));
        assertTrue(e.getMessage().contains("'block9'") && e.getMessage().contains("embedding"), e.getMessage());
    }

    @Test
    void aTeacherForOtherImageShapesFailsBeforeAnyWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TeacherChecks.dl4j(teacher, new InputSpec(1, 16, 16), List.of(), 4));
        assertTrue(e.getMessage().contains("1x16x16"), e.getMessage());
        IllegalArgumentException classes = assertThrows(IllegalArgumentException.class,
                () -> TeacherChecks.dl4j(teacher, SPEC, List.of(), 7));
        assertTrue(classes.getMessage().contains("4 classes") && classes.getMessage().contains("7"), classes.getMessage());
        // wider logits than the table's classes are refused too: which classes would the extra ones be?
        IllegalArgumentException wider = assertThrows(IllegalArgumentException.class,
                () -> TeacherChecks.dl4j(teacher, SPEC, List.of(), 3));
        assertTrue(wider.getMessage().contains("exactly these classes"), wider.getMessage());
    }

    @Test
    void theInputSpecComesFromTheTablesProvenanceWithoutReadingTheTable() {
        // a table without the shape columns: reading it fails, so the first answer can only come from the provenance
        Dataset<Row> noShapeColumns = spark.range(1).toDF();
        Provenance recorded = Provenance.of(ImageTable.KIND, ImageTable.SCHEMA_VERSION, "ingest").withDetail("input_spec", "3x32x32");
        assertEquals(new InputSpec(3, 32, 32), ImageTable.inputSpec(recorded, noShapeColumns));
        Provenance older = Provenance.of(ImageTable.KIND, ImageTable.SCHEMA_VERSION, "ingest");
        assertThrows(org.apache.spark.sql.AnalysisException.class, () -> ImageTable.inputSpec(older, noShapeColumns),
                "without it the table's first row is read");
    }
}
