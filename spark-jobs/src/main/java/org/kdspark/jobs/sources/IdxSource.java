package org.kdspark.jobs.sources;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.kd.data.IdxReader;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;

/**
 * MNIST-style IDX files ({@code dataset.format: idx}): {@code train-images-idx3-ubyte.gz}, {@code train-labels-...},
 * {@code t10k-images-...} and {@code t10k-labels-...} under {@code dataset.path} (Fashion-MNIST from the Debian package
 * {@code dataset-fashion-mnist}). Each task reads its own slice of the gzipped files: no image passes through the
 * driver. IDX records cannot be corrupt one by one, so this source has no rejects.
 */
public final class IdxSource implements ImageSource {

    static final String[] FILES = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

    private final KdConfig.Dataset dataset;

    IdxSource(KdConfig.Dataset dataset) {
        this.dataset = dataset;
    }

    @Override
    public String fingerprint() {
        return "";
    }

    @Override
    public Images read(SparkSession spark) {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        String dir = dataset.path();
        requireFiles(files, dir, dataset.name(), "dataset.path");
        int train = Math.min(count(files, dir, FILES[0]), limitOrAll(dataset.trainLimit()));
        int test = Math.min(count(files, dir, FILES[2]), limitOrAll(dataset.testLimit()));
        List<Slice> slices = new ArrayList<>();
        slices.addAll(Slice.split(dataset.name(), ImageTable.TRAIN, dir, "train", train, dataset.partitions()));
        slices.addAll(Slice.split(dataset.name(), ImageTable.TEST, dir, "t10k", test, dataset.partitions()));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        Dataset<Row> rows = spark.createDataFrame(jsc.parallelize(slices, Math.max(1, slices.size()))
                .flatMap(s -> s.read(hadoop.value().value())), DECODED);
        List<String> classes = FashionMnistClasses.forDataset(dataset.name(), numClasses(files, dir, train));
        return new Images(rows, classes, InputSpec.FASHION_MNIST, train + test, train, test);
    }

    /** Fails naming the missing files, how to install Fashion-MNIST, and {@code setting}, where the directory is given. */
    private static void requireFiles(HadoopFiles files, String dir, String name, String setting) {
        List<String> missing = new ArrayList<>();
        for (String file : FILES) {
            if (!files.exists(dir + "/" + file)) {
                missing.add(file);
            }
        }
        if (!missing.isEmpty()) {
            throw new DatasetMissingException("dataset '" + name + "' not found: " + dir + " lacks " + missing
                    + ". For Fashion-MNIST install the Debian package (sudo apt-get install dataset-fashion-mnist, which puts it in"
                    + " /usr/share/datasets/fashion-mnist), or set " + setting + " to a directory holding the four IDX .gz files.");
        }
    }

    /**
     * The whole training and test sets of the IDX directory {@code dir}, read here (for a fixed set such as Fashion-MNIST's
     * 70,000 items, not for an image table: {@link #read} leaves that to the tasks).
     *
     * @param setting where the caller's user gives {@code dir}, for the error when files are missing
     * @return {train, test}
     */
    public static LabeledImages[] readWhole(HadoopFiles files, String dir, String name, String setting) {
        requireFiles(files, dir, name, setting);
        try (InputStream ti = files.open(dir + "/" + FILES[0]); InputStream tl = files.open(dir + "/" + FILES[1]);
                InputStream vi = files.open(dir + "/" + FILES[2]); InputStream vl = files.open(dir + "/" + FILES[3])) {
            return new LabeledImages[] {IdxReader.read(ti, tl, 0), IdxReader.read(vi, vl, 0)};
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from " + dir + ": " + e.getMessage(), e);
        }
    }

    private static int limitOrAll(int limit) {
        return limit > 0 ? limit : Integer.MAX_VALUE;
    }

    private static int count(HadoopFiles files, String dir, String name) {
        try (InputStream in = files.open(dir + "/" + name)) {
            return IdxReader.count(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + "/" + name, e);
        }
    }

    /** The class count: one more than the largest label of the training labels file. */
    private static int numClasses(HadoopFiles files, String dir, int limit) {
        try (InputStream in = files.open(dir + "/" + FILES[1])) {
            int max = 0;
            for (int label : IdxReader.labels(in, limit)) {
                max = Math.max(max, label);
            }
            return max + 1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir + "/" + FILES[1] + ": " + e.getMessage(), e);
        }
    }

    /** A contiguous range of one split's IDX records, read by one task. */
    record Slice(String dataset, String split, String dir, String prefix, int first, int count) implements Serializable {

        static List<Slice> split(String dataset, String split, String dir, String prefix, int total, int parts) {
            List<Slice> out = new ArrayList<>();
            int size = (total + parts - 1) / parts;
            for (int first = 0; first < total; first += size) {
                out.add(new Slice(dataset, split, dir, prefix, first, Math.min(size, total - first)));
            }
            return out;
        }

        Iterator<Row> read(org.apache.hadoop.conf.Configuration conf) throws IOException {
            HadoopFiles files = new HadoopFiles(conf);
            String images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
            LabeledImages block;
            try (InputStream img = files.open(images); InputStream lab = files.open(dir + "/" + prefix + "-labels-idx1-ubyte.gz")) {
                block = IdxReader.read(img, lab, first, count);
            }
            InputSpec spec = block.spec();
            List<Row> rows = new ArrayList<>(block.count());
            for (int i = 0; i < block.count(); i++) {
                int index = first + i;
                rows.add(RowFactory.create(String.format(Locale.ROOT, "%s/%s/%05d", dataset, split, index), split, block.labels()[i],
                        spec.channels(), spec.height(), spec.width(), block.image(i), images + "#" + index, null));
            }
            return rows.iterator();
        }
    }
}
