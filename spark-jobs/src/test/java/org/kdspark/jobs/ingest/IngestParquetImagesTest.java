package org.kdspark.jobs.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.error.UserInputException;

/** Parquet files in the layout a Hugging Face data set is exported to: image structs, class names from the metadata. */
class IngestParquetImagesTest {

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message hf { optional group image { optional binary bytes; optional binary path (STRING); } optional int64 label; }");
    private static final String HUGGINGFACE = "{\"info\": {\"features\": {\"image\": {\"_type\": \"Image\"}, \"label\": {\"names\":"
            + " [\"cat\", \"dog\", \"bird\"], \"_type\": \"ClassLabel\"}}}}";

    private final SparkSession spark = TestSpark.session();

    @Test
    void imageStructRowsBecomeTheTableAndBrokenRowsAreRejectedWithReasons(@TempDir Path dir) throws IOException {
        Random random = new Random(4);
        Path data = dir.resolve("data");
        try (ParquetWriter<Group> train = writer(data.resolve("train-00000-of-00001.parquet"))) {
            for (int i = 0; i < 8; i++) {
                train.write(row(image(random, i % 2 == 0 ? "png" : "jpg"), "img_" + i + ".png", i % 3));
            }
            train.write(row(null, "no-bytes.png", 1));
            train.write(row(image(random, "png"), "no-label.png", null));
            train.write(row(Arrays.copyOf(image(random, "jpg"), 300), "cut.jpg", 2));
            train.write(row(image(random, "png"), "seven.png", 7L));
        }
        try (ParquetWriter<Group> test = writer(data.resolve("test-00000-of-00001.parquet"))) {
            for (int i = 0; i < 3; i++) {
                test.write(row(image(random, "png"), "t" + i + ".png", i));
            }
        }

        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=parquet", "dataset.path=" + data.toUri(), "dataset.name=hf",
                "dataset.height=16", "dataset.width=16", "dataset.channels=3"));
        RunLayout layout = new RunLayout(dir.resolve("out").toUri().toString());
        IngestJob.Result r = IngestJob.run(spark, config, layout);

        assertEquals(List.of("cat", "dog", "bird"), r.classes());
        assertEquals(List.of(8L, 3L, 4L, 15L), List.of(r.train(), r.test(), r.rejected(), r.filesSeen()));
        Map<String, String> reasons = spark.read().parquet(layout.imageRejects()).collectAsList().stream()
                .collect(Collectors.toMap(x -> x.getString(0).substring(x.getString(0).indexOf('(') + 1, x.getString(0).length() - 1),
                        x -> x.getString(1)));
        assertTrue(reasons.get("no-bytes.png").startsWith("no image bytes"), reasons.toString());
        assertTrue(reasons.get("no-label.png").startsWith("no class"), reasons.toString());
        assertTrue(reasons.get("cut.jpg").contains("JPEG") || reasons.get("cut.jpg").contains("undecodable"), reasons.toString());
        assertTrue(reasons.get("seven.png").contains("class index 7"), reasons.toString());
        List<Row> rows = ImageTable.read(spark, layout.images()).collectAsList();
        assertEquals(11, rows.size());
        assertTrue(rows.stream().anyMatch(x -> x.getAs(ImageTable.ID).equals("train-00000-of-00001.parquet#3")
                && (int) x.getAs(ImageTable.LABEL) == 0 && x.getAs(ImageTable.SPLIT).equals(ImageTable.TRAIN)), rows.toString());

        // a file without the configured image column is refused before any work, naming the key
        KdConfig other = ConfigLoader.load(null, List.of("dataset.format=parquet", "dataset.path=" + data.toUri(),
                "dataset.image_column=img"));
        UserInputException e = assertThrows(UserInputException.class, () -> IngestJob.run(spark, other, new RunLayout(dir.resolve("o2").toUri().toString())));
        assertTrue(e.getMessage().contains("'img'") && e.getMessage().contains("dataset.image_column"), e.getMessage());
    }

    private static ParquetWriter<Group> writer(Path file) throws IOException {
        return ExampleParquetWriter.builder(new org.apache.hadoop.fs.Path(file.toUri())).withConf(new Configuration())
                .withType(SCHEMA).withExtraMetaData(Map.of("huggingface", HUGGINGFACE)).build();
    }

    private static Group row(byte[] bytes, String path, Number label) {
        Group g = new SimpleGroupFactory(SCHEMA).newGroup();
        Group image = g.addGroup("image");
        if (bytes != null) {
            image.append("bytes", Binary.fromConstantByteArray(bytes));
        }
        image.append("path", path);
        if (label != null) {
            g.append("label", label.longValue());
        }
        return g;
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
}
