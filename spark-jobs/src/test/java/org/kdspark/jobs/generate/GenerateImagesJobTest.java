package org.kdspark.jobs.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.ingest.IngestJob;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Hashes;

/** The photo-like RGB set: deterministic scenes, both layouts written, and both ingest to the same images. */
class GenerateImagesJobTest {

    private static final String FASHION_MNIST = "file:///usr/share/datasets/fashion-mnist";
    private final SparkSession spark = TestSpark.session();

    @Test
    void folderAndShardsHoldTheSameScenesAndIngestToTheSameImages(@TempDir Path dir) throws IOException {
        GenerateImagesJob.Settings settings = new GenerateImagesJob.Settings(FASHION_MNIST, 120, 40, 96, 1.33, 10, 50, 5);
        GenerateImagesJob.Result r = GenerateImagesJob.run(spark, settings, dir.resolve("set").toUri().toString());
        assertFalse(r.reused());
        assertEquals(3 + 1, r.shards(), "120 train images in shards of 50, 40 val in one");
        Path folder = dir.resolve("set/folder");
        List<Path> jpegs;
        try (Stream<Path> walk = Files.walk(folder)) {
            jpegs = walk.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
        assertEquals(160, jpegs.size());
        long bytes = 0;
        for (Path p : jpegs) {
            bytes += Files.size(p);
            BufferedImage image = ImageIO.read(p.toFile());
            int shorter = Math.min(image.getWidth(), image.getHeight());
            int longer = Math.max(image.getWidth(), image.getHeight());
            assertEquals(96, shorter, p.toString());
            assertTrue(longer >= 96 && longer <= 128, p + ": " + image.getWidth() + "x" + image.getHeight());
            assertEquals(3, image.getColorModel().getNumColorComponents(), p.toString());
        }
        assertEquals(r.jpegBytes(), bytes, "the reported bytes are the files' bytes");
        assertEquals(Set.of("train", "val"), Set.of(folder.toFile().list()));
        assertEquals(GenerateImagesJob.classNames(10), Files.readAllLines(dir.resolve("set/webdataset/classes.txt")));
        // the labels are Fashion-MNIST's: the first training item (an ankle boot) is scene 0
        assertTrue(Files.exists(folder.resolve("train/9_ankle_boot/train-0000000.jpg")));

        Map<String, Integer> fromFolder = ingest(dir.resolve("a"), "folder", folder);
        Map<String, Integer> fromShards = ingest(dir.resolve("b"), "webdataset", dir.resolve("set/webdataset"));
        assertEquals(160, fromFolder.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(fromFolder, fromShards, "the same (split, class, pixels) from the folder and from the shards");

        GenerateImagesJob.Result again = GenerateImagesJob.run(spark, settings, dir.resolve("set").toUri().toString());
        assertTrue(again.reused(), "the same settings find the set");
        assertEquals(r.jpegBytes(), again.jpegBytes());
        GenerateImagesJob.Settings other = new GenerateImagesJob.Settings(FASHION_MNIST, 120, 40, 96, 1.33, 10, 50, 6);
        UserInputException refused = assertThrows(UserInputException.class,
                () -> GenerateImagesJob.run(spark, other, dir.resolve("set").toUri().toString()));
        assertTrue(refused.getMessage().contains("other settings"), refused.getMessage());
        Files.createDirectories(dir.resolve("someone-elses/photos"));
        UserInputException occupied = assertThrows(UserInputException.class,
                () -> GenerateImagesJob.run(spark, settings, dir.resolve("someone-elses").toUri().toString()));
        assertTrue(occupied.getMessage().contains("holds no generator.json"), occupied.getMessage());
    }

    @Test
    void withoutTheFolderLayoutTheShardsAreTheSameBytes(@TempDir Path dir) throws IOException {
        GenerateImagesJob.Settings both = new GenerateImagesJob.Settings(FASHION_MNIST, 60, 20, 32, 1, 10, 25, 3);
        GenerateImagesJob.Settings shardsOnly = new GenerateImagesJob.Settings(FASHION_MNIST, 60, 20, 32, 1, 10, 25, 3, false);
        GenerateImagesJob.Result a = GenerateImagesJob.run(spark, both, dir.resolve("both").toUri().toString());
        GenerateImagesJob.Result b = GenerateImagesJob.run(spark, shardsOnly, dir.resolve("shards").toUri().toString());
        assertEquals(a.jpegBytes(), b.jpegBytes());
        assertFalse(Files.exists(dir.resolve("shards/folder")), "no folder of JPEGs");
        List<String> tars;
        try (Stream<Path> walk = Files.walk(dir.resolve("both/webdataset"))) {
            tars = walk.filter(p -> p.toString().endsWith(".tar")).map(p -> dir.resolve("both/webdataset").relativize(p).toString()).sorted().toList();
        }
        assertEquals(4, tars.size(), "60 train images in shards of 25, 20 val in one");
        for (String tar : tars) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("both/webdataset").resolve(tar)), Files.readAllBytes(dir.resolve("shards/webdataset").resolve(tar)), tar);
        }
        assertTrue(GenerateImagesJob.run(spark, shardsOnly, dir.resolve("shards").toUri().toString()).reused());
        UserInputException refused = assertThrows(UserInputException.class,
                () -> GenerateImagesJob.run(spark, both, dir.resolve("shards").toUri().toString()));
        assertTrue(refused.getMessage().contains("other settings"), "a shards-only set is not the set with both layouts: " + refused.getMessage());
    }

    /** (split, label, pixel hash) -> how many rows, from an ingest at 32x32 with a centre crop. */
    private Map<String, Integer> ingest(Path out, String format, Path path) {
        KdConfig config = ConfigLoader.load(null, List.of("dataset.format=" + format, "dataset.path=" + path.toUri(),
                "dataset.name=rgb", "dataset.channels=3", "dataset.height=32", "dataset.width=32", "dataset.resize=center_crop"));
        RunLayout layout = new RunLayout(out.toUri().toString());
        IngestJob.Result r = IngestJob.run(spark, config, layout);
        assertEquals(0, r.rejected());
        assertEquals(GenerateImagesJob.classNames(10), r.classes());
        Map<String, Integer> counts = new TreeMap<>();
        for (Row row : ImageTable.read(spark, layout.images()).collectAsList()) {
            String key = row.getAs(ImageTable.SPLIT) + "/" + row.getAs(ImageTable.LABEL) + "/" + Hashes.sha256((byte[]) row.getAs(ImageTable.PIXELS));
            counts.merge(key, 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void aSceneIsAFunctionOfSeedSplitAndIndexAlone() throws IOException {
        byte[] item = new byte[PhotoScene.ITEM * PhotoScene.ITEM];
        for (int y = 6; y < 22; y++) {
            for (int x = 8; x < 20; x++) {
                item[y * PhotoScene.ITEM + x] = (byte) 200;
            }
        }
        GenerateImagesJob.Items items = new GenerateImagesJob.Items(item, new int[] {3}, item, new int[] {3});
        GenerateImagesJob.Settings settings = new GenerateImagesJob.Settings("unused", 10, 10, 64, 1, 100, 10, 1);
        GenerateImagesJob.Scene a = GenerateImagesJob.scene(settings, items, "train", 7);
        GenerateImagesJob.Scene b = GenerateImagesJob.scene(settings, items, "train", 7);
        assertArrayEquals(a.jpeg(), b.jpeg());
        assertNotEquals(Hashes.sha256(a.jpeg()), Hashes.sha256(GenerateImagesJob.scene(settings, items, "train", 8).jpeg()));
        assertNotEquals(Hashes.sha256(a.jpeg()), Hashes.sha256(GenerateImagesJob.scene(settings, items, "val", 7).jpeg()));
        // 100 classes: garment 3 (dress) in one of 10 colour families
        Map<Integer, Integer> families = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            GenerateImagesJob.Scene s = GenerateImagesJob.scene(settings, items, "train", i);
            assertEquals(3, s.label() / 10, "garment of class " + s.label());
            families.merge(s.label() % 10, 1, Integer::sum);
        }
        assertEquals(10, families.size(), "every colour family drawn: " + families);
        assertEquals(List.of("00_tshirt_top_red", "01_tshirt_top_orange"), GenerateImagesJob.classNames(100).subList(0, 2));
        assertEquals(GenerateImagesJob.classNames(100), GenerateImagesJob.classNames(100).stream().sorted().collect(Collectors.toList()),
                "names sort in index order, so a folder ingest numbers the classes as the shards do");
    }

    @Test
    void anItemOfColourFamilyFIsDrawnInHueSliceF() {
        byte[] ink = new byte[PhotoScene.ITEM * PhotoScene.ITEM];
        java.util.Arrays.fill(ink, (byte) 255);
        byte[] none = new byte[ink.length];
        for (int family = 0; family < 10; family++) {
            for (long seed = 0; seed < 3; seed++) {
                BufferedImage with = PhotoScene.render(ink, 64, 64, family, 10, new SplittableRandom(seed));
                BufferedImage without = PhotoScene.render(none, 64, 64, family, 10, new SplittableRandom(seed));
                // the commonest hue (10-degree bins) among the pixels the item changed: its body, not its thin shadow
                int[] bins = new int[36];
                for (int y = 0; y < 64; y++) {
                    for (int x = 0; x < 64; x++) {
                        int a = with.getRGB(x, y);
                        if (a != without.getRGB(x, y)) {
                            float[] hsb = java.awt.Color.RGBtoHSB((a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, null);
                            bins[Math.min(35, (int) (hsb[0] * 36))]++;
                        }
                    }
                }
                int mode = 0;
                for (int b = 1; b < 36; b++) {
                    mode = bins[b] > bins[mode] ? b : mode;
                }
                double hue = (mode + 0.5) / 36;
                double off = Math.abs(hue - (family + 0.5) / 10);
                assertTrue(Math.min(off, 1 - off) < 0.06, "family " + family + ", seed " + seed + ": the item's hue is " + hue);
            }
        }
    }

    @Test
    void badSettingsAreRefusedTogetherNamingTheOptions() {
        UserInputException e = assertThrows(UserInputException.class,
                () -> new GenerateImagesJob.Settings(FASHION_MNIST, 0, 10, 16, 3, 7, 0, 1));
        for (String option : List.of("--train", "--size", "--max-aspect", "--classes", "--shard-size")) {
            assertTrue(e.getMessage().contains(option), e.getMessage());
        }
    }

    @Test
    void aSceneShowsItsItemOverABackgroundThatVaries() {
        byte[] item = new byte[PhotoScene.ITEM * PhotoScene.ITEM];
        java.util.Arrays.fill(item, (byte) 255);
        SplittableRandom random = new SplittableRandom(11);
        BufferedImage image = PhotoScene.render(item, 96, 96, 0, 0, random);
        BufferedImage empty = PhotoScene.render(new byte[item.length], 96, 96, 0, 0, new SplittableRandom(11));
        int differing = 0;
        for (int y = 0; y < 96; y++) {
            for (int x = 0; x < 96; x++) {
                differing += image.getRGB(x, y) != empty.getRGB(x, y) ? 1 : 0;
            }
        }
        // a full square item of 50-90% of the side covers 25-81% of the canvas, plus its shadow, less what sticks out
        assertTrue(differing > 0.2 * 96 * 96 && differing < 0.95 * 96 * 96, "pixels the item changed: " + differing);
    }
}
