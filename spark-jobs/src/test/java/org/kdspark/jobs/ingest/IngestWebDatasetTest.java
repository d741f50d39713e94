package org.kdspark.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;

/** WebDataset tar shards: one task per shard, every sample a row or a reject with its reason, counts reconciled. */
class IngestWebDatasetTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void shardsBecomeRowsAndBrokenSamplesAndShardsAreRejectedWithReasons(@TempDir Path dir) throws IOException {
        Path root = dir.resolve("shards");
        Random random = new Random(3);
        // train: two shards of 6 good samples; one of them also holds every kind of bad sample
        Map<String, byte[]> first = new LinkedHashMap<>();
        Map<String, byte[]> second = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            first.put(String.format("%04d.png", i), image(random, "png"));
            first.put(String.format("%04d.cls", i), Integer.toString(i % 3).getBytes(StandardCharsets.UTF_8));
            second.put(String.format("%04d.jpg", 10 + i), image(random, "jpg"));
            second.put(String.format("%04d.cls", 10 + i), Integer.toString(i % 3).getBytes(StandardCharsets.UTF_8));
        }
        first.put("0100.png", image(random, "png")); // no class
        first.put("0101.cls", "1".getBytes(StandardCharsets.UTF_8)); // no image
        first.put("0102.jpg", Arrays.copyOf(image(random, "jpg"), 300)); // truncated
        first.put("0102.cls", "2".getBytes(StandardCharsets.UTF_8));
        first.put("0103.png", image(random, "png"));
        first.put("0103.cls", "seven".getBytes(StandardCharsets.UTF_8)); // not an index
        first.put("0104.png", image(random, "png"));
        first.put("0104.cls", "3".getBytes(StandardCharsets.UTF_8)); // not one of the 3 classes
        tar(root.resolve("train/shard-000.tar"), first);
        tar(root.resolve("train/shard-001.tar"), second);
        // test: one whole shard of 3 samples, and one cut in the middle of its third sample's image
        Map<String, byte[]> test = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            test.put(String.format("t%03d.png", i), image(random, "png"));
            test.put(String.format("t%03d.cls", i), Integer.toString(i).getBytes(StandardCharsets.UTF_8));
        }
        tar(root.resolve("val/shard-000.tar"), test);
        Path cut = root.resolve("val/shard-001.tar");
        tar(cut, test);
        byte[] whole = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(whole, 512 * 10 + 100));
        Files.writeString(root.resolve("classes.txt"), "circle\nsquare\ntriangle\n");

        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=webdataset", "dataset.path=" + root.toUri(), "dataset.name=shards",
                "dataset.height=16", "dataset.width=16", "dataset.channels=3"));
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.Result r = IngestJob.run(spark, config, layout);

        List<Row> rows = ImageTable.read(spark, layout.images()).collectAsList();
        Map<String, String> reasons = spark.read().parquet(layout.imageRejects()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0).substring(x.getString(0).lastIndexOf('/') + 1), x -> x.getString(1)));
        assertEquals(List.of("circle", "square", "triangle"), r.classes());
        assertEquals(12, r.train(), rows.toString());
        // the cut shard keeps the samples before the cut
        assertTrue(r.test() >= 3 && r.test() < 6, "test images " + r.test());
        assertEquals(r.filesSeen(), r.train() + r.test() + r.rejected());
        assertEquals(6, reasons.size(), reasons.toString());
        assertTrue(reasons.get("shard-000.tar#0100").startsWith("no class"), reasons.toString());
        assertTrue(reasons.get("shard-000.tar#0101").startsWith("no image member"), reasons.toString());
        assertTrue(reasons.get("shard-000.tar#0102").contains("JPEG") || reasons.get("shard-000.tar#0102").contains("undecodable"),
                reasons.toString());
        assertTrue(reasons.get("shard-000.tar#0103").contains("'seven', not a class index"), reasons.toString());
        assertTrue(reasons.get("shard-000.tar#0104").contains("class index 3") && reasons.get("shard-000.tar#0104").contains("classes.txt"),
                reasons.toString());
        assertTrue(reasons.get("shard-001.tar").startsWith("truncated or corrupt tar shard after "), reasons.toString());
        for (Row row : rows) {
            String id = row.getAs(ImageTable.ID);
            assertEquals(id.startsWith("train/") ? ImageTable.TRAIN : ImageTable.TEST, row.getAs(ImageTable.SPLIT), id);
            assertEquals(3 * 16 * 16, ((byte[]) row.getAs(ImageTable.PIXELS)).length);
        }
        assertTrue(rows.stream().anyMatch(x -> x.getAs(ImageTable.ID).equals("train/shard-001.tar/0013")), rows.toString());
        IngestJob.Result again = IngestJob.run(spark, config, layout);
        assertTrue(again.reused(), "the same shards: the table is reused");
        assertEquals(List.of(r.train(), r.test(), r.rejected()), List.of(again.train(), again.test(), again.rejected()));
    }

    private static byte[] image(Random random, String format) throws IOException {
        BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 20; x++) {
                img.setRGB(x, y, random.nextInt(0xFFFFFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format.equals("jpg") ? "jpeg" : "png", out);
        return out.toByteArray();
    }

    private static void tar(Path file, Map<String, byte[]> members) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file); TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, byte[]> m : members.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(m.getKey());
                e.setSize(m.getValue().length);
                tar.putArchiveEntry(e);
                tar.write(m.getValue());
                tar.closeArchiveEntry();
            }
        }
    }
}
