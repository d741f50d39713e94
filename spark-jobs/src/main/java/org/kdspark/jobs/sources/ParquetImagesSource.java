package org.kdspark.jobs.sources;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Hashes;
import org.kdspark.kd.provenance.Provenance;

/**
 * Parquet files of encoded images ({@code dataset.format: parquet}), the layout a Hugging Face data set is exported
 * to: an image column that is a struct of {@code bytes} (the encoded PNG or JPEG) and {@code path}
 * ({@code dataset.image_column}, default {@code image}), and an integer class column ({@code dataset.label_column},
 * default {@code label}). Class names come from the files' {@code huggingface} metadata (a {@code ClassLabel}
 * feature's {@code names}), else they are the indices. A file whose path names a split ({@code train}, or
 * {@code test}, {@code val}, {@code validation}, as a folder or a file-name prefix) gives it; elsewhere a row's split
 * is the stable hash of its id, {@code FILE#ROW}.
 *
 * <p>One task reads each file: no image passes through the driver, which reads the first file's footer alone. A row
 * without image bytes or a class, with a class that is no index of the classes, or whose image does not decode, is
 * rejected with the reason.
 */
final class ParquetImagesSource implements ImageSource {

    private final KdConfig.Dataset dataset;
    private final String root;
    private final List<Part> parts;
    private final List<String> classes;
    private final String fingerprint;

    /** One Parquet file and the split its path gives (null: by hash). */
    record Part(String uri, String id, String split) implements Serializable {
    }

    ParquetImagesSource(SparkSession spark, KdConfig.Dataset dataset) {
        this.dataset = dataset;
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        try {
            Path rootPath = new Path(dataset.path());
            FileSystem fs = rootPath.getFileSystem(conf);
            if (!fs.exists(rootPath)) {
                throw new DatasetMissingException("Parquet image files " + dataset.path() + " do not exist; set dataset.path to a Parquet"
                        + " file or a folder of them");
            }
            this.root = fs.makeQualified(rootPath).toString();
            List<Part> listed = new ArrayList<>();
            List<String> stats = new ArrayList<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(rootPath, true);
            while (it.hasNext()) {
                LocatedFileStatus status = it.next();
                String name = status.getPath().getName();
                if (name.startsWith(".") || name.startsWith("_") || !name.toLowerCase(Locale.ROOT).endsWith(".parquet")) {
                    continue;
                }
                String uri = status.getPath().toString();
                String rel = uri.equals(root) ? name : uri.substring(root.length()).replaceFirst("^/+", "");
                listed.add(new Part(uri, rel, splitOf(rel)));
                stats.add(uri + "\t" + status.getLen() + "\t" + status.getModificationTime());
            }
            listed.sort(java.util.Comparator.comparing(Part::uri));
            Collections.sort(stats);
            this.parts = List.copyOf(listed);
            this.fingerprint = Hashes.ofText(String.join("\n", stats));
            this.classes = parts.isEmpty() ? null : checkedSchema(conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dataset.path(), e);
        }
    }

    /** {@code train}, {@code test} (also for {@code val} and {@code validation}) or null, from a file's relative path. */
    static String splitOf(String rel) {
        for (String part : rel.toLowerCase(Locale.ROOT).split("[/\\-_.]")) {
            String split = ImageSource.splitNamed(part);
            if (split != null) {
                return split;
            }
        }
        return null;
    }

    /**
     * Checks the first file's schema (the image struct with binary {@code bytes}, an integer class column) before any
     * work, and returns the class names its {@code huggingface} metadata gives, or null.
     */
    private List<String> checkedSchema(Configuration conf) throws IOException {
        Part first = parts.get(0);
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(first.uri()), conf))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            String where = "dataset.path " + first.uri();
            if (!schema.containsField(dataset.imageColumn()) || schema.getType(dataset.imageColumn()).isPrimitive()
                    || !schema.getType(dataset.imageColumn()).asGroupType().containsField("bytes")) {
                throw new UserInputException(where + " has no image struct column '" + dataset.imageColumn() + "' with a 'bytes' field"
                        + " (columns: " + schema.getFields().stream().map(Type::getName).toList() + "): set dataset.image_column");
            }
            if (!schema.containsField(dataset.labelColumn()) || !schema.getType(dataset.labelColumn()).isPrimitive()
                    || schema.getType(dataset.labelColumn()).asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
                throw new UserInputException(where + " has no integer class column '" + dataset.labelColumn() + "' (columns: "
                        + schema.getFields().stream().map(Type::getName).toList() + "): set dataset.label_column");
            }
            String meta = reader.getFooter().getFileMetaData().getKeyValueMetaData().get("huggingface");
            if (meta == null) {
                return null;
            }
            JsonNode names = Provenance.json().readTree(meta).path("info").path("features").path(dataset.labelColumn()).path("names");
            if (!names.isArray() || names.isEmpty()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            names.forEach(n -> out.add(n.asText()));
            return List.copyOf(out);
        }
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public Images read(SparkSession spark) {
        if (parts.isEmpty()) {
            throw new DatasetMissingException("no .parquet files under " + dataset.path() + ": expected files with an image struct"
                    + " column {bytes, path} and a class column (a Hugging Face data set's Parquet export)");
        }
        ImageGeometry geometry = ImageGeometry.of(dataset);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> hadoop = jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        int numClasses = classes == null ? Integer.MAX_VALUE : classes.size();
        String imageColumn = dataset.imageColumn();
        String labelColumn = dataset.labelColumn();
        double testFraction = dataset.testFraction();
        Dataset<Row> decoded = spark.createDataFrame(jsc.parallelize(parts, parts.size())
                .flatMap(p -> readPart(p, hadoop.value().value(), imageColumn, labelColumn, geometry, numClasses, testFraction)), DECODED);
        return new Images(decoded, classes, geometry.spec(), -1, -1, -1);
    }

    /** Every row of one file as a decoded row or a reject with its reason. */
    static Iterator<Row> readPart(Part part, Configuration conf, String imageColumn, String labelColumn, ImageGeometry geometry, int numClasses,
            double testFraction) throws IOException {
        List<Row> out = new ArrayList<>();
        try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(part.uri())).withConf(conf).build()) {
            long index = 0;
            for (Group g = reader.read(); g != null; g = reader.read(), index++) {
                String id = part.id() + "#" + index;
                String split = part.split() != null ? part.split() : ListedImages.hashSplit(id, testFraction);
                String source = part.uri() + "#" + index;
                int label = -1;
                String reason = null;
                byte[] pixels = new byte[0];
                byte[] image = null;
                if (g.getFieldRepetitionCount(imageColumn) > 0) {
                    Group struct = g.getGroup(imageColumn, 0);
                    GroupType type = struct.getType();
                    if (type.containsField("path") && struct.getFieldRepetitionCount("path") > 0) {
                        source = part.uri() + "#" + index + " (" + struct.getString("path", 0) + ")";
                    }
                    if (struct.getFieldRepetitionCount("bytes") > 0) {
                        image = struct.getBinary("bytes", 0).getBytes();
                    }
                }
                if (image == null) {
                    reason = "no image bytes in column " + imageColumn + ".bytes";
                } else if (g.getFieldRepetitionCount(labelColumn) == 0) {
                    reason = "no class: column " + labelColumn + " is null";
                } else {
                    long value = g.getType().getType(labelColumn).asPrimitiveType().getPrimitiveTypeName()
                            == PrimitiveType.PrimitiveTypeName.INT64 ? g.getLong(labelColumn, 0) : g.getInteger(labelColumn, 0);
                    if (value < 0 || value >= numClasses) {
                        reason = "class index " + value + " is not one of the " + numClasses + " classes of the files' metadata";
                    } else {
                        label = (int) value;
                        try {
                            pixels = ImageDecoder.decode(image, geometry);
                        } catch (ImageDecoder.UndecodableImageException e) {
                            reason = e.getMessage();
                            label = -1;
                        }
                    }
                }
                out.add(RowFactory.create(id, split, label, geometry.channels(), geometry.height(), geometry.width(), pixels, source, reason));
            }
        }
        return out.iterator();
    }
}
