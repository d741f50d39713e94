package org.kdspark.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.sources.DatasetMissingException;
import org.kdspark.jobs.store.ImageTable;

/** A manifest (CSV or Parquet of path,label[,split]) as input: PNG, JPEG and BMP, grey and RGB, bad rows rejected with reasons. */
class IngestManifestTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void csvManifestOfPngJpegAndBmpInGreyAndRgbWithBadFilesRejectedAndCountsReconciling(@TempDir Path dir) throws IOException {
        Path images = Files.createDirectories(dir.resolve("data/imgs"));
        List<String> lines = new ArrayList<>(List.of("path,label,split"));
        String[] formats = {"png", "jpg", "bmp"};
        for (int i = 0; i < 12; i++) {
            String format = formats[i % 3];
            boolean grey = i % 2 == 0;
            int label = i % 3 == 0 ? 10 : i % 3 == 1 ? 2 : 9; // numeric labels sort numerically: 2, 9, 10
            String name = "img_" + i + "." + format;
            write(images.resolve(name), format, grey, 24, (i * 37) % 256);
            // relative to the manifest, absolute, and a file: URI
            String path = i < 4 ? "imgs/" + name : i < 8 ? images.resolve(name).toString() : images.resolve(name).toUri().toString();
            lines.add(path + "," + label + "," + (i == 0 ? "test" : i == 1 ? "train" : ""));
        }
        Files.write(images.resolve("empty.png"), new byte[0]);
        Files.writeString(images.resolve("text.bmp"), "not an image");
        lines.add("imgs/empty.png,2,");
        lines.add("imgs/text.bmp,9,");
        lines.add("imgs/does-not-exist.png,10,");
        lines.add("imgs/img_2.bmp,,"); // no label
        Path manifest = dir.resolve("data/manifest.csv");
        Files.write(manifest, lines);

        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.Result r = IngestJob.run(spark, config(manifest.toUri().toString()), layout);
        assertEquals(16, r.filesSeen());
        assertEquals(12, r.train() + r.test());
        assertEquals(4, r.rejected());
        assertEquals(r.filesSeen(), r.train() + r.test() + r.rejected(), "counts reconcile");
        assertEquals(List.of("2", "9", "10"), r.classes());

        Map<String, Row> rows = spark.read().parquet(layout.images()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getAs(ImageTable.ID), x -> x));
        assertEquals(12, rows.size());
        assertEquals(ImageTable.TEST, rows.get("imgs/img_0.png").getAs(ImageTable.SPLIT), "the manifest's split is kept");
        assertEquals(ImageTable.TRAIN, rows.get("imgs/img_1.jpg").getAs(ImageTable.SPLIT));
        assertEquals(2, (int) rows.get("imgs/img_0.png").getAs(ImageTable.LABEL), "label 10 is the third class");
        assertEquals(0, (int) rows.get("imgs/img_1.jpg").getAs(ImageTable.LABEL));
        assertEquals(1, (int) rows.get("imgs/img_2.bmp").getAs(ImageTable.LABEL));
        // a grey BMP decodes to its exact level in all three channels
        byte[] bmp = rows.get("imgs/img_8.bmp").getAs(ImageTable.PIXELS);
        assertEquals(3 * 16 * 16, bmp.length);
        byte level = (byte) ((8 * 37) % 256);
        byte[] expected = new byte[bmp.length];
        java.util.Arrays.fill(expected, level);
        assertArrayEquals(expected, bmp);

        Map<String, String> reasons = spark.read().parquet(layout.imageRejects()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0).substring(x.getString(0).lastIndexOf('/') + 1), x -> x.getString(1), (a, b) -> a + " | " + b));
        assertTrue(reasons.get("empty.png").contains("0 bytes"), reasons.toString());
        assertTrue(reasons.get("text.bmp").contains("not a PNG, JPEG or BMP"), reasons.toString());
        assertTrue(reasons.get("does-not-exist.png").startsWith("missing:"), reasons.toString());
        assertTrue(reasons.get("img_2.bmp").contains("no label"), reasons.toString());

        // the same manifest again: reused; a changed manifest: ingested again
        assertTrue(IngestJob.run(spark, config(manifest.toUri().toString()), layout).reused());
        lines.remove(lines.size() - 1);
        Files.write(manifest, lines);
        IngestJob.Result again = IngestJob.run(spark, config(manifest.toUri().toString()), layout);
        assertFalse(again.reused());
        assertEquals(15, again.filesSeen());
    }

    @Test
    void parquetManifestAndMalformedManifestsFailBeforeAnyWork(@TempDir Path dir) throws IOException {
        Path images = Files.createDirectories(dir.resolve("imgs"));
        List<Row> entries = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            write(images.resolve("a" + i + ".png"), "png", false, 16, 40 * i);
            entries.add(RowFactory.create(images.resolve("a" + i + ".png").toUri().toString(), i % 2 == 0 ? "cat" : "dog"));
        }
        StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.StringType);
        String parquet = dir.resolve("manifest.parquet").toUri().toString();
        spark.createDataFrame(entries, schema).coalesce(1).write().mode(SaveMode.Overwrite).parquet(parquet);
        IngestJob.Result r = IngestJob.run(spark, config(parquet), new RunLayout(dir.resolve("out").toUri().toString()));
        assertEquals(List.of("cat", "dog"), r.classes());
        assertEquals(6, r.train() + r.test());

        Path badSplit = dir.resolve("bad-split.csv");
        Files.write(badSplit, List.of("path,label,split", "imgs/a0.png,cat,validation"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IngestJob.run(spark, config(badSplit.toUri().toString()), new RunLayout(dir.resolve("o2").toUri().toString())));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("'validation'"), e.getMessage());

        Path noLabel = dir.resolve("no-label.csv");
        Files.write(noLabel, List.of("file,class", "imgs/a0.png,cat"));
        e = assertThrows(IllegalArgumentException.class,
                () -> IngestJob.run(spark, config(noLabel.toUri().toString()), new RunLayout(dir.resolve("o3").toUri().toString())));
        assertTrue(e.getMessage().contains("needs 'path' and 'label'"), e.getMessage());

        DatasetMissingException missing = assertThrows(DatasetMissingException.class,
                () -> IngestJob.run(spark, config(dir.resolve("nope.csv").toUri().toString()), new RunLayout(dir.resolve("o4").toUri().toString())));
        assertTrue(missing.getMessage().contains("path,label[,split]"), missing.getMessage());
    }

    private static KdConfig config(String manifest) {
        return ConfigLoader.load(null, List.of("dataset.format=manifest", "dataset.path=" + manifest, "dataset.name=manifest",
                "dataset.partitions=2", "dataset.height=16", "dataset.width=16", "dataset.channels=3"));
    }

    /** A uniform image of grey {@code level} (or an RGB colour with that red level) in {@code format}. */
    private static void write(Path file, String format, boolean grey, int size, int level) throws IOException {
        BufferedImage img = new BufferedImage(size, size, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                if (grey) {
                    img.getRaster().setSample(x, y, 0, level);
                } else {
                    img.setRGB(x, y, (level << 16) | (100 << 8) | 50);
                }
            }
        }
        if (!ImageIO.write(img, format.equals("jpg") ? "jpeg" : format, file.toFile())) {
            throw new IOException("no ImageIO writer for " + format);
        }
    }
}
