package org.kdspark.jobs.sources;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.provenance.Hashes;

/**
 * WebDataset tar shards ({@code dataset.format: webdataset}): the {@code .tar} files under {@code dataset.path}, each
 * holding samples as consecutive members that share a key, {@code KEY.jpg} (or {@code .jpeg}, {@code .png},
 * {@code .bmp}) and {@code KEY.cls} (the class index, as text). Shards under {@code train/} are training images, under
 * {@code test/} or {@code val/} test images; elsewhere a sample's split is the stable hash of its id. Class names come
 * from {@code classes.txt} under {@code dataset.path} (one per line, in index order), else they are the indices.
 *
 * <p>One task reads each shard as a stream: no image passes through the driver, which lists the shards alone. A
 * sample without an image or a class, with a class that is no index of the classes, or whose image does not decode,
 * is rejected with the reason; a shard that ends in the middle of a member (truncated) keeps the samples before and is
 * itself rejected, with the count.
 */
final class WebDatasetSource implements ImageSource {

    static final String CLASSES_FILE = "classes.txt";
    private static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png", "bmp");

    private final KdConfig.Dataset dataset;
    private final String root;
    private final List<Shard> shards;
    private final List<String> classes;
    private final String fingerprint;

    /** One tar file and the split its folder gives (null: by hash). */
    record Shard(String uri, String id, String split) implements Serializable {
    }

    WebDatasetSource(SparkSession spark, KdConfig.Dataset dataset) {
        this.dataset = dataset;
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        try {
            Path rootPath = new Path(dataset.path());
            FileSystem fs = rootPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(rootPath)) {
                throw new DatasetMissingException("webdataset folder " + dataset.path() + " does not exist; set dataset.path to the"
                        + " folder of the .tar shards");
            }
            this.root = fs.makeQualified(rootPath).toString();
            List<Shard> listed = new ArrayList<>();
            List<String> stats = new ArrayList<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(rootPath, true);
            while (it.hasNext()) {
                LocatedFileStatus status = it.next();
                String name = status.getPath().getName();
                if (name.startsWith(".") || name.startsWith("_") || !name.toLowerCase(Locale.ROOT).endsWith(".tar")) {
                    continue;
                }
                String uri = status.getPath().toString();
                String rel = uri.substring(root.length()).replaceFirst("^/+", "");
                String top = rel.contains("/") ? rel.substring(0, rel.indexOf('/')) : "";
                String split = ImageSource.splitNamed(top);
                listed.add(new Shard(uri, rel, split));
                stats.add(uri + "\t" + status.getLen() + "\t" + status.getModificationTime());
            }
            listed.sort(java.util.Comparator.comparing(Shard::uri));
            Collections.sort(stats);
            this.shards = List.copyOf(listed);
            String classesUri = root + "/" + CLASSES_FILE;
            this.classes = files.exists(classesUri) ? files.readString(classesUri).lines().map(String::trim).filter(l -> !l.isEmpty())
                    .toList() : null;
            this.fingerprint = Hashes.ofText(String.join("\n", stats) + (classes == null ? "" : "\n" + String.join(",", classes)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dataset.path(), e);
        }
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public Images read(SparkSession spark) {
        if (shards.isEmpty()) {
            throw new DatasetMissingException("no .tar shards under " + dataset.path() + ": expected SHARD.tar files of KEY.jpg + KEY.cls"
                    + " members (under train/ and test/ for a given split)");
        }
        ImageGeometry geometry = ImageGeometry.of(dataset);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        int numClasses = classes == null ? Integer.MAX_VALUE : classes.size();
        double testFraction = dataset.testFraction();
        Dataset<Row> decoded = spark.createDataFrame(jsc.parallelize(shards, shards.size())
                .flatMap(s -> readShard(s, hadoop.value().value(), geometry, numClasses, testFraction)), DECODED);
        return new Images(decoded, classes, geometry.spec(), -1, -1, -1);
    }

    /** Every sample of one shard as a decoded row or a reject, and a reject for the shard itself if it is cut short. */
    static Iterator<Row> readShard(Shard shard, org.apache.hadoop.conf.Configuration conf, ImageGeometry geometry, int numClasses,
            double testFraction) throws IOException {
        List<Row> out = new ArrayList<>();
        Map<String, byte[]> sample = new LinkedHashMap<>();
        String key = null;
        int samples = 0;
        try (InputStream raw = new HadoopFiles(conf).open(shard.uri()); EndCheckingStream checked = new EndCheckingStream(raw);
                TarArchiveInputStream tar = new TarArchiveInputStream(checked)) {
            for (TarArchiveEntry e = tar.getNextTarEntry(); e != null; e = tar.getNextTarEntry()) {
                if (!e.isFile()) {
                    continue;
                }
                String name = e.getName();
                int slash = name.lastIndexOf('/');
                int dot = name.indexOf('.', slash + 1);
                String entryKey = dot < 0 ? name : name.substring(0, dot);
                String extension = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (key != null && !key.equals(entryKey)) {
                    out.add(row(shard, key, sample, geometry, numClasses, testFraction));
                    samples++;
                    sample.clear();
                }
                key = entryKey;
                sample.put(extension, tar.readAllBytes());
            }
            if (!checked.endedWithZeros()) {
                // the reader takes a short last record for the end: a shard cut between members ends without the
                // archive's closing zero records
                throw new IOException("the archive ends without its closing zero records");
            }
        } catch (IOException e) {
            // a shard cut short: the samples read so far stand, the shard is rejected with where it broke
            String id = shard.id() + "#broken";
            out.add(RowFactory.create(id, shard.split() != null ? shard.split() : ListedImages.hashSplit(id, testFraction), -1,
                    geometry.channels(), geometry.height(), geometry.width(), new byte[0], shard.uri(), "truncated or corrupt tar shard after "
                            + samples + " samples (the sample in progress is lost): " + e.getMessage()));
            return out.iterator();
        }
        if (key != null) {
            out.add(row(shard, key, sample, geometry, numClasses, testFraction));
        }
        return out.iterator();
    }

    /** A stream that remembers whether the last 1,024 bytes read were zeros: the end-of-archive records of a tar. */
    static final class EndCheckingStream extends java.io.FilterInputStream {
        private static final int END = 1024;
        private final byte[] tail = new byte[END];
        private long total;

        EndCheckingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                tail[(int) (total++ % END)] = (byte) b;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            for (int i = 0; i < n; i++) {
                tail[(int) (total++ % END)] = buffer[offset + i];
            }
            return n;
        }

        boolean endedWithZeros() {
            if (total < END) {
                return false;
            }
            for (byte b : tail) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static Row row(Shard shard, String key, Map<String, byte[]> members, ImageGeometry geometry, int numClasses, double testFraction) {
        String id = shard.id() + "/" + key;
        String split = shard.split() != null ? shard.split() : ListedImages.hashSplit(id, testFraction);
        String source = shard.uri() + "#" + key;
        int label = -1;
        String reason = null;
        byte[] pixels = new byte[0];
        byte[] image = IMAGE_EXTENSIONS.stream().filter(members::containsKey).findFirst().map(members::get).orElse(null);
        byte[] cls = members.get("cls");
        if (image == null) {
            reason = "no image member (" + String.join(", ", IMAGE_EXTENSIONS.stream().map(x -> key + "." + x).toList()) + ") in the"
                    + " sample, only " + members.keySet();
        } else if (cls == null) {
            reason = "no class: the sample has no " + key + ".cls member";
        } else {
            String text = new String(cls, StandardCharsets.UTF_8).trim();
            try {
                label = Integer.parseInt(text);
                if (label < 0 || label >= numClasses) {
                    reason = "class index " + label + " in " + key + ".cls is not one of the " + numClasses + " classes of "
                            + CLASSES_FILE;
                    label = -1;
                }
            } catch (NumberFormatException e) {
                reason = "no class: " + key + ".cls holds '" + text + "', not a class index";
            }
            if (reason == null) {
                try {
                    pixels = ImageDecoder.decode(image, geometry);
                } catch (ImageDecoder.UndecodableImageException e) {
                    reason = e.getMessage();
                }
            }
        }
        return RowFactory.create(id, split, label, geometry.channels(), geometry.height(), geometry.width(), pixels, source, reason);
    }
}
