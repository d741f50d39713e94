package org.kdspark.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.ConfigLoader;
import org.kdspark.jobs.generate.GenerateImagesJob;
import org.kdspark.jobs.spark.Sessions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kd generate-images}: the photo-like RGB image set the RGB configs run on. */
@Command(name = "generate-images", mixinStandardHelpOptions = true,
        description = {"Turn Fashion-MNIST into a photo-like RGB image set: each item coloured, shaded, scaled, rotated and placed on a"
            + " textured background, written as JPEGs in the ImageNet folder layout (OUT/folder/train|val/CLASS/*.jpg) and as"
            + " WebDataset shards (OUT/webdataset/train|val/shard-*.tar, classes.txt).",
            "Deterministic in its settings; run again with the same settings it finds the set and writes nothing."})
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where to write the set (any Hadoop URI).")
    String out;

    @Option(names = "--train", paramLabel = "N", defaultValue = "100000", description = "Training images (default: ${DEFAULT-VALUE}).")
    int train;

    @Option(names = "--val", paramLabel = "N", defaultValue = "10000", description = "Validation images, drawn from the test items (default: ${DEFAULT-VALUE}).")
    int val;

    @Option(names = "--size", paramLabel = "PX", defaultValue = "96", description = "Side of the images; the shorter side with --max-aspect (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--max-aspect", paramLabel = "R", defaultValue = "1", description = "Up to this ratio of longer to shorter side, drawn per image, 1 to 2 (default: ${DEFAULT-VALUE}, square).")
    double maxAspect;

    @Option(names = "--classes", paramLabel = "K", defaultValue = "10", description = "10 (the garments) or 100 (garments x 10 colour families) (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--shard-size", paramLabel = "N", defaultValue = "1000", description = "Images per WebDataset shard, one task each (default: ${DEFAULT-VALUE}).")
    int shardSize;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every scene (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-folder", description = "Write the WebDataset shards only, not the folder of JPEGs.")
    boolean noFolder;

    @Option(names = "--fashion-mnist", paramLabel = "DIR", defaultValue = "file:///usr/share/datasets/fashion-mnist",
            description = "The Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
    String fashionMnist;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master, e.g. local[2]. Default: spark-submit's, else local[*].")
    String master;

    @Override
    public Integer call() {
        GenerateImagesJob.Settings settings = new GenerateImagesJob.Settings(fashionMnist, train, val, size, maxAspect, classes, shardSize, seed, !noFolder);
        List<String> overrides = new ArrayList<>();
        if (master != null) {
            overrides.add("spark.master=" + master);
        }
        SparkSession spark = Sessions.start(ConfigLoader.load(null, overrides).spark(), "generate-images");
        try {
            GenerateImagesJob.Result r = GenerateImagesJob.run(spark, settings, out);
            System.out.println(String.format(Locale.ROOT, "generate-images: %d train + %d val images, %d classes, %d shards, %,d JPEG bytes, %s in %.1f s -> %s",
                    r.train(), r.val(), r.classes(), r.shards(), r.jpegBytes(), r.reused() ? "already there" : "written", r.seconds(), r.output()));
            return 0;
        } finally {
            spark.stop();
        }
    }
}
