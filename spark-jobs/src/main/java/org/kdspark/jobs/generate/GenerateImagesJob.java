package org.kdspark.jobs.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.sources.IdxSource;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;

/**
 * Turns Fashion-MNIST into a photo-like RGB image set ({@code kd generate-images}): each item drawn by
 * {@link PhotoScene} onto its own textured background and written twice (once with {@code folder} false), as a JPEG in
 * the ImageNet folder layout and as a member of a WebDataset shard:
 * <pre>
 * OUT/folder/train/CLASS/train-0000000.jpg     OUT/folder/val/CLASS/val-0000000.jpg
 * OUT/webdataset/train/shard-00000.tar         OUT/webdataset/val/shard-00000.tar     (KEY.jpg + KEY.cls)
 * OUT/webdataset/classes.txt                   OUT/generator.json                     (the settings and counts)
 * </pre>
 * Training scenes are made from the training items, validation scenes from the test items; image {@code i} of a split
 * shows item {@code i mod items}, so a split larger than its items shows each item again on other backgrounds, at
 * other places, sizes and colours. Every scene is a function of (seed, split, index) alone, so the set is the same
 * whatever the number of tasks. One task per shard; nothing per image reaches the driver.
 *
 * <p>With 10 classes a class is the garment. With 100 it is the garment and one of 10 colour families (hue slices of
 * 36 degrees), {@code class = 10 * garment + family}: a many-class set whose classes need both shape and colour.
 */
public final class GenerateImagesJob {

    static final String SETTINGS_FILE = "generator.json";
    static final String[] GARMENTS = {
        "tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"};
    static final String[] COLOURS = {"red", "orange", "yellow", "lime", "green", "teal", "cyan", "blue", "purple", "pink"};
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What to make: sizes, counts, classes, seed; {@code maxAspect > 1} makes the longer side up to that much longer;
     * {@code folder} false writes the WebDataset shards alone (a million loose JPEGs cost more to list and store than the
     * images are worth when only the shards are read).
     */
    public record Settings(String fashionMnist, int train, int val, int size, double maxAspect, int classes, int shardSize,
            long seed, boolean folder) implements Serializable {
        /** Both layouts. */
        public Settings(String fashionMnist, int train, int val, int size, double maxAspect, int classes, int shardSize, long seed) {
            this(fashionMnist, train, val, size, maxAspect, classes, shardSize, seed, true);
        }

        public Settings {
            List<String> bad = new ArrayList<>();
            if (train < 1 || val < 1) {
                bad.add("--train and --val must be at least 1 (got " + train + ", " + val + ")");
            }
            if (size < 32 || size > 1024) {
                bad.add("--size must be between 32 and 1024 pixels (got " + size + ")");
            }
            if (maxAspect < 1 || maxAspect > 2) {
                bad.add("--max-aspect must be between 1 and 2 (got " + maxAspect + ")");
            }
            if (classes != 10 && classes != 100) {
                bad.add("--classes must be 10 (the garments) or 100 (garments x colour families) (got " + classes + ")");
            }
            if (shardSize < 1) {
                bad.add("--shard-size must be at least 1 (got " + shardSize + ")");
            }
            if (!bad.isEmpty()) {
                throw new UserInputException(String.join("; ", bad));
            }
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", fashionMnist);
            m.put("train", train);
            m.put("val", val);
            m.put("size", size);
            m.put("max_aspect", maxAspect);
            m.put("classes", classes);
            m.put("shard_size", shardSize);
            m.put("seed", seed);
            if (!folder) {
                // absent when both layouts are written, so that sets made before the option still match their settings
                m.put("folder", false);
            }
            return m;
        }
    }

    /** What was written (or found already written). */
    public record Result(String output, int train, int val, int classes, long jpegBytes, int shards, double seconds, boolean reused) {
    }

    /** One shard's images: {@code count} scenes of one split from index {@code first}. */
    record Shard(String split, int index, int first, int count) implements Serializable {
        String key(int i) {
            return String.format(Locale.ROOT, "%s-%07d", split, first + i);
        }
    }

    /** The items of both splits, shipped once to each executor. */
    record Items(byte[] train, int[] trainLabels, byte[] test, int[] testLabels) implements Serializable {
    }

    private GenerateImagesJob() {
    }

    public static Result run(SparkSession spark, Settings settings, String output) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        String out = files.qualify(output).replaceAll("/+$", "");
        String settingsUri = out + "/" + SETTINGS_FILE;
        String wanted = json(settings.describe());
        if (files.exists(settingsUri)) {
            Map<String, Object> found = read(files.readString(settingsUri));
            if (json(found.get("settings")).equals(wanted)) {
                long bytes = ((Number) found.get("jpeg_bytes")).longValue();
                return new Result(out, settings.train(), settings.val(), settings.classes(), bytes,
                        ((Number) found.get("shards")).intValue(), (System.nanoTime() - start) / 1e9, true);
            }
            throw new UserInputException(out + " holds an image set generated with other settings (" + settingsUri + "): choose"
                    + " another output directory, or delete that one to generate it again");
        }
        if (files.exists(out) && !files.directories(out).isEmpty()) {
            throw new UserInputException(out + " already exists and holds no " + SETTINGS_FILE + " (a set is finished when it"
                    + " has one; an interrupted run leaves none): delete it, or choose an output directory that is empty or new");
        }
        Items items = items(files, settings.fashionMnist());
        List<Shard> shards = new ArrayList<>();
        shards.addAll(shards("train", settings.train(), settings.shardSize()));
        shards.addAll(shards("val", settings.val(), settings.shardSize()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Items> shipped = jsc.broadcast(items);
        Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        long bytes;
        try {
            bytes = jsc.parallelize(shards, shards.size())
                    .map(s -> write(s, settings, shipped.value(), out, hadoop.value().value()))
                    .reduce(Long::sum);
        } finally {
            shipped.destroy();
            hadoop.destroy();
        }
        files.writeString(out + "/webdataset/classes.txt", String.join("\n", classNames(settings.classes())) + "\n");
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Object> written = new LinkedHashMap<>();
        written.put("settings", settings.describe());
        written.put("jpeg_bytes", bytes);
        written.put("shards", shards.size());
        written.put("seconds", Math.round(seconds * 10) / 10.0);
        files.writeStringAtomically(settingsUri, json(written));
        return new Result(out, settings.train(), settings.val(), settings.classes(), bytes, shards.size(), seconds, false);
    }

    /** Class names in index order; sorted by name they keep that order, so a folder ingest numbers them the same. */
    public static List<String> classNames(int classes) {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add(classes == GARMENTS.length
                    ? c + "_" + GARMENTS[c]
                    : String.format(Locale.ROOT, "%02d_%s_%s", c, GARMENTS[c / COLOURS.length], COLOURS[c % COLOURS.length]));
        }
        return names;
    }

    static List<Shard> shards(String split, int count, int shardSize) {
        List<Shard> out = new ArrayList<>();
        for (int first = 0, i = 0; first < count; first += shardSize, i++) {
            out.add(new Shard(split, i, first, Math.min(shardSize, count - first)));
        }
        return out;
    }

    /** Scene {@code index} of {@code split}: its item, class and JPEG bytes. */
    static Scene scene(Settings settings, Items items, String split, int index) {
        boolean train = split.equals("train");
        byte[] pixels = train ? items.train() : items.test();
        int[] labels = train ? items.trainLabels() : items.testLabels();
        int item = index % labels.length;
        SplittableRandom random = new SplittableRandom(mix(settings.seed(), train ? 1 : 2, index));
        int width = settings.size();
        int height = settings.size();
        if (settings.maxAspect() > 1) {
            int longer = (int) Math.round(settings.size() * (1 + (settings.maxAspect() - 1) * random.nextDouble()));
            if (random.nextBoolean()) {
                width = longer;
            } else {
                height = longer;
            }
        }
        int garment = labels[item];
        int family = settings.classes() == 100 ? random.nextInt(COLOURS.length) : 0;
        int label = settings.classes() == 100 ? garment * COLOURS.length + family : garment;
        byte[] grey = new byte[PhotoScene.ITEM * PhotoScene.ITEM];
        System.arraycopy(pixels, item * grey.length, grey, 0, grey.length);
        byte[] jpeg = PhotoScene.jpeg(grey, width, height, family, settings.classes() == 100 ? COLOURS.length : 0, random);
        return new Scene(label, jpeg);
    }

    record Scene(int label, byte[] jpeg) {
    }

    private static long write(Shard shard, Settings settings, Items items, String out, Configuration conf) throws IOException {
        FileSystem fs = new Path(out).getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            fs = local.getRaw(); // no checksum file beside every image
        }
        List<String> names = classNames(settings.classes());
        Path tar = new Path(String.format(Locale.ROOT, "%s/webdataset/%s/shard-%05d.tar", out, shard.split(), shard.index()));
        long bytes = 0;
        try (OutputStream raw = fs.create(tar, true); TarArchiveOutputStream archive = new TarArchiveOutputStream(raw)) {
            archive.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < shard.count(); i++) {
                Scene scene = scene(settings, items, shard.split(), shard.first() + i);
                String key = shard.key(i);
                if (settings.folder()) {
                    try (OutputStream file = fs.create(new Path(out + "/folder/" + shard.split() + "/" + names.get(scene.label()) + "/" + key + ".jpg"), true)) {
                        file.write(scene.jpeg());
                    }
                }
                member(archive, key + ".jpg", scene.jpeg());
                member(archive, key + ".cls", Integer.toString(scene.label()).getBytes(StandardCharsets.US_ASCII));
                bytes += scene.jpeg().length;
            }
            archive.finish();
        }
        return bytes;
    }

    private static void member(TarArchiveOutputStream archive, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setModTime(0); // the shards' bytes depend on the settings alone
        archive.putArchiveEntry(entry);
        archive.write(content);
        archive.closeArchiveEntry();
    }

    private static Items items(HadoopFiles files, String dir) {
        LabeledImages[] sets = IdxSource.readWhole(files, dir, "fashion-mnist", "--fashion-mnist");
        LabeledImages train = sets[0];
        LabeledImages test = sets[1];
        if (train.spec().height() != PhotoScene.ITEM || train.spec().width() != PhotoScene.ITEM) {
            throw new UserInputException(dir + " holds " + train.spec() + " images; the generator draws 28x28 Fashion-MNIST items");
        }
        return new Items(train.pixels(), train.labels(), test.pixels(), test.labels());
    }

    /** A 64-bit seed for (seed, split, index), spread so that neighbouring indices get unrelated streams. */
    static long mix(long seed, int split, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + split * 0xBF58476D1CE4E5B9L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(String text) {
        try {
            return JSON.readValue(text, Map.class);
        } catch (IOException e) {
            throw new UserInputException("unreadable " + SETTINGS_FILE + " (" + e.getMessage() + "): delete the output directory and"
                    + " generate again");
        }
    }
}
