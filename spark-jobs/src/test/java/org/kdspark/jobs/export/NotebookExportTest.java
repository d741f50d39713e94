package org.kdspark.jobs.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreWriter;
import org.kdspark.kd.provenance.Provenance;

/**
 * A generated run: real ingest of a class-per-subfolder image set, and a soft-label store whose logits are
 * chosen here, so that which rows the teacher gets wrong, and how confidently, is known exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotebookExportTest {

    private static final int CLASSES = 4;

    private final SparkSession spark = TestSpark.session();
    @TempDir
    static Path dir;
    private RunLayout layout;
    private Path exportDir;
    /** id -> (label, logits, pixels) of every image of the run. */
    private final Map<String, Object[]> truth = new HashMap<>();
    /** Train ids the teacher gets wrong, most confident first. */
    private final List<String> wrongTrain = new ArrayList<>();

    @BeforeAll
    void ingestGeneratedImagesAndWriteKnownLogits() throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, CLASSES, 10, 12, false, 5);
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(), "dataset.name=generated",
                "dataset.partitions=2", "dataset.height=12", "dataset.width=12", "dataset.channels=1"));
        layout = new RunLayout(dir.resolve("out").toUri().toString());
        exportDir = dir.resolve("out").resolve(NotebookExport.DIR);
        IngestJob.run(spark, config, layout);

        List<Row> table = spark.read().parquet(layout.images()).orderBy(ImageTable.ID).collectAsList();
        List<Row> store = new ArrayList<>();
        int trainIndex = 0;
        Map<String, Float> wrongBy = new HashMap<>();
        for (Row image : table) {
            String id = image.getAs(ImageTable.ID);
            String split = image.getAs(ImageTable.SPLIT);
            int label = image.getAs(ImageTable.LABEL);
            // every fourth train image: the teacher prefers the next class, more strongly the later the image
            boolean wrong = split.equals(ImageTable.TRAIN) && trainIndex++ % 4 == 0;
            float strength = wrong ? 1f + trainIndex / 4f : 3f;
            float[] logits = new float[CLASSES];
            Arrays.fill(logits, -0.25f);
            logits[wrong ? (label + 1) % CLASSES : label] = strength;
            if (wrong) {
                wrongBy.put(id, strength);
            }
            List<Float> boxed = new ArrayList<>();
            for (float v : logits) {
                boxed.add(v);
            }
            store.add(RowFactory.create(id, split, label, boxed));
            truth.put(id, new Object[] {label, logits, image.getAs(ImageTable.PIXELS)});
        }
        wrongBy.entrySet().stream().sorted(Map.Entry.<String, Float>comparingByValue().reversed()).forEach(e -> wrongTrain.add(e.getKey()));
        Provenance provenance = Provenance.of(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, "test")
                .withInput("teacher_sha256", "abc123")
                .withCount("rows", table.size())
                .withDetail("classes", List.of("class_0", "class_1", "class_2", "class_3"))
                .withDetail("input_spec", "1x12x12");
        StructType withoutHash = new StructType(Arrays.stream(SoftLabelStore.schema(List.of()).fields())
                .filter(f -> !f.name().equals(SoftLabelStore.IMAGE_HASH)).toArray(StructField[]::new));
        Dataset<Row> hashes = SoftLabelStore.withImageHash(spark.read().parquet(layout.images())).select(ImageTable.ID, SoftLabelStore.IMAGE_HASH);
        StoreWriter.open(spark, layout.softLabels(), "abc1234567890def", "0123456789abcdef")
                .append(spark.createDataFrame(store, withoutHash).join(hashes, ImageTable.ID).select(SoftLabelStore.columns(List.of())),
                        provenance, table.size(), System.nanoTime());
    }

    @Test
    void csvHasAHeaderAndEveryStoreRowWithItsExactLogitsSortedBySplitThenId() throws IOException {
        NotebookExport.run(spark, layout, 4);
        List<String> lines = Files.readAllLines(exportDir.resolve(NotebookExport.SOFT_LABELS_CSV));
        assertEquals("id,split,label,logit_0,logit_1,logit_2,logit_3", lines.get(0));
        assertEquals(truth.size(), lines.size() - 1);
        List<String[]> rows = lines.subList(1, lines.size()).stream().map(l -> l.split(",")).toList();
        List<String[]> sorted = rows.stream()
                .sorted(Comparator.<String[], String>comparing(r -> r[1]).thenComparing(r -> r[0]))
                .toList();
        assertEquals(sorted.stream().map(r -> r[0]).toList(), rows.stream().map(r -> r[0]).toList());
        for (String[] r : rows) {
            Object[] expected = truth.get(r[0]);
            assertEquals(expected[0], Integer.parseInt(r[2]), r[0]);
            float[] logits = new float[CLASSES];
            for (int k = 0; k < CLASSES; k++) {
                logits[k] = Float.parseFloat(r[3 + k]);
            }
            assertArrayEquals((float[]) expected[1], logits, r[0]);
        }
        assertFalse(Files.exists(exportDir.resolve("_" + NotebookExport.SOFT_LABELS_CSV + ".parts")), "staging directory left behind");
    }

    @Test
    void thumbnailsPutTheMostConfidentDisagreementsFirstThenClassSamplesWithTheirExactPixels() throws IOException {
        NotebookExport.Result r = NotebookExport.run(spark, layout, 6);
        List<Map<String, Object>> index = Provenance.json().readValue(exportDir.resolve(NotebookExport.thumbnailsIndex("train")).toFile(),
                new TypeReference<>() {
                });
        assertEquals(6, index.size());
        assertEquals(6, r.thumbnails().get("train"));
        assertEquals(wrongTrain.subList(0, 3), index.subList(0, 3).stream().map(e -> e.get("id")).toList());
        for (Map<String, Object> e : index.subList(0, 3)) {
            assertEquals(NotebookExport.DISAGREES, e.get("selected"));
            int label = (Integer) e.get("label");
            assertEquals((label + 1) % CLASSES, e.get("teacher_prediction"));
        }
        double[] confidences = index.subList(0, 3).stream().mapToDouble(e -> ((Number) e.get("teacher_confidence")).doubleValue()).toArray();
        float top = ((float[]) truth.get(wrongTrain.get(0))[1])[((Integer) index.get(0).get("label") + 1) % CLASSES];
        double expectedTop = Math.exp(top) / (Math.exp(top) + 3 * Math.exp(-0.25));
        assertEquals(expectedTop, confidences[0], 1e-6);
        assertTrue(confidences[0] > confidences[1] && confidences[1] > confidences[2]);
        // the rest: one image of each class in turn, in id order
        List<Map<String, Object>> samples = index.subList(3, 6);
        assertEquals(List.of(0, 1, 2), samples.stream().map(e -> e.get("label")).toList());
        samples.forEach(e -> assertEquals(NotebookExport.CLASS_SAMPLE, e.get("selected")));

        byte[] bin = Files.readAllBytes(exportDir.resolve(NotebookExport.thumbnailsBin("train")));
        assertEquals(6 * 12 * 12, bin.length);
        for (Map<String, Object> e : index) {
            assertEquals(List.of(1, 12, 12), e.get("shape"));
            int offset = (Integer) e.get("offset");
            assertArrayEquals((byte[]) truth.get((String) e.get("id"))[2], Arrays.copyOfRange(bin, offset, offset + 144), (String) e.get("id"));
        }
    }

    @Test
    void manifestIsAProvenanceThatDescribesTheFilesAndTheRunItCameFrom() throws IOException {
        NotebookExport.Result r = NotebookExport.run(spark, layout, 3);
        Provenance p = Provenance.fromJson(Files.readString(exportDir.resolve(NotebookExport.MANIFEST)));
        p.requireCompatible(NotebookExport.KIND, NotebookExport.SCHEMA_VERSION, "export");
        assertEquals(List.of("class_0", "class_1", "class_2", "class_3"), p.details().get("classes"));
        assertEquals("abc123", p.inputs().get("teacher_sha256"));
        assertEquals((long) truth.size(), p.counts().get("rows"));
        assertEquals(r.rows(), truth.size());
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> files = (Map<String, Map<String, Object>>) p.details().get("files");
        assertEquals(NotebookExport.csvColumns(CLASSES), files.get(NotebookExport.SOFT_LABELS_CSV).get("columns"));
        for (String name : files.keySet()) {
            assertTrue(Files.exists(exportDir.resolve(name)), name);
        }
        assertTrue(files.containsKey(NotebookExport.thumbnailsBin("test")) && files.containsKey(NotebookExport.thumbnailsIndex("test")));
        assertEquals(3L, p.counts().get("thumbnails_train"));
        @SuppressWarnings("unchecked")
        Map<String, Object> source = (Map<String, Object>) p.details().get("source");
        assertTrue(source.containsKey(SoftLabelStore.KIND) && source.containsKey(ImageTable.KIND), source.toString());
    }

    @Test
    void aThumbnailCountOutOfRangeFailsNamingTheLimits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NotebookExport.run(spark, layout, -1));
        assertTrue(e.getMessage().contains("0 and " + NotebookExport.MAX_THUMBNAILS_PER_SPLIT), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NotebookExport.run(spark, layout, NotebookExport.MAX_THUMBNAILS_PER_SPLIT + 1));
    }

    @Test
    void aRunWithoutASoftLabelStoreIsRefusedSayingWhatIsMissing() {
        RunLayout empty = new RunLayout(dir.resolve("empty-run").toUri().toString());
        Provenance.IncompatibleArtifactException e = assertThrows(Provenance.IncompatibleArtifactException.class,
                () -> NotebookExport.run(spark, empty, 4));
        assertTrue(e.getMessage().contains("no soft-label store") && e.getMessage().contains("kd soft-labels"), e.getMessage());
    }
}
