package org.kdspark.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.sources.DatasetMissingException;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.kd.provenance.Provenance;

class IngestFolderTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void folderImagesBecomeRowsAndBadFilesAreRejectedWithReasonsAndCountsReconcile(@TempDir Path dir) throws IOException {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 3, 6, 20, true, 1);
        Files.write(images.resolve("class_0/empty.png"), new byte[0]);
        Files.write(images.resolve("class_1/truncated.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.writeString(images.resolve("class_2/notes.txt"), "not an image");
        Files.writeString(images.resolve("stray.png"), "no class folder");
        // a whole PNG with one byte of its image data flipped, and a JPEG cut after 300 bytes
        byte[] png = Files.readAllBytes(Files.list(images.resolve("class_2")).filter(f -> f.toString().endsWith(".png")).findFirst().orElseThrow());
        byte[] flipped = png.clone();
        flipped[png.length / 2] ^= 0x5a;
        Files.write(images.resolve("class_2/crc.png"), flipped);
        java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png)), "jpg", jpeg);
        Files.write(images.resolve("class_0/cut.jpg"), java.util.Arrays.copyOf(jpeg.toByteArray(), 300));

        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=folder", "dataset.path=" + images.toUri(),
                "dataset.name=generated", "dataset.partitions=3", "dataset.height=16", "dataset.width=16", "dataset.channels=3"));
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.Result r = IngestJob.run(spark, config, layout);

        assertEquals(18 + 6, r.filesSeen());
        assertEquals(18, r.train() + r.test());
        assertEquals(6, r.rejected());
        assertEquals(List.of("class_0", "class_1", "class_2"), r.classes());

        List<Row> rows = spark.read().parquet(layout.images()).collectAsList();
        assertEquals(18, rows.size());
        for (Row row : rows) {
            assertEquals(3 * 16 * 16, ((byte[]) row.getAs(ImageTable.PIXELS)).length);
            String cls = ((String) row.getAs(ImageTable.ID)).split("/")[0];
            assertEquals(Integer.parseInt(cls.substring("class_".length())), (int) row.getAs(ImageTable.LABEL));
        }
        Map<String, String> reasons = spark.read().parquet(layout.imageRejects()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0).substring(x.getString(0).lastIndexOf('/') + 1), x -> x.getString(1)));
        assertEquals(6, reasons.size());
        assertEquals("corrupt PNG image: chunk IDAT fails its CRC check", reasons.get("crc.png"), reasons.toString());
        assertTrue(reasons.get("cut.jpg").contains("JPEG") || reasons.get("cut.jpg").contains("undecodable"), reasons.toString());
        assertTrue(reasons.get("empty.png").contains("0 bytes"), reasons.toString());
        assertTrue(reasons.get("truncated.png").contains("not a PNG") || reasons.get("truncated.png").contains("undecodable"), reasons.toString());
        assertTrue(reasons.get("notes.txt").contains("not a PNG"), reasons.toString());
        assertTrue(reasons.get("stray.png").contains("class folder"), reasons.toString());

        Provenance p = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        assertEquals(24L, p.counts().get("files_seen"));
        assertEquals(6L, p.counts().get("rejected"));
    }

    @Test
    void missingIdxDatasetSaysHowToInstallIt(@TempDir Path dir) {
        KdConfig config = ConfigLoader.load(null, List.of("dataset.path=" + dir.toUri()));
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        DatasetMissingException e = assertThrows(DatasetMissingException.class, () -> IngestJob.run(spark, config, layout));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }
}
