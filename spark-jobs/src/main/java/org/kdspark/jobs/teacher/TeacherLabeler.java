package org.kdspark.jobs.teacher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;

/**
 * Labels a DataFrame of images with a teacher: a Spark ML {@link Transformer} that user code can apply to its own
 * data, and that the soft-label job is a thin caller of.
 *
 * <p>Input: a binary column of uint8 CHW pixels in the teacher's input spec ({@link #pixelsCol}, default
 * {@code pixels}). Output: every input column, then {@code logits} ({@code array<float>}, raw; or, with a
 * {@link #logitsEncoding} {@code topk:K}, {@code logits_topk}, its binary cell) and one binary column
 * per feature tap ({@link SoftLabelStore#featureColumn}), encoded as {@link #tapEncodings} says for that tap, else as
 * {@link #featureEncoding} ({@code float16}, {@code float32}, {@code avgpool:HxW}, {@code attention}: see
 * {@link ColumnEncoding}); with {@link #keepPixels} false, the pixels column is left out (the soft-label job does: the
 * store keeps no pixels, and carrying them into the output rows only to drop them costs a copy per image); for an
 * {@link EnsembleTeacherBackend}, {@code logits} is the ensemble's and
 * {@code member_logits} ({@code array<array<float>>}) holds each member's. The teacher runs in
 * {@code mapPartitions}, {@link #batchSize} images at a time, through its {@link TeacherBackend} (DL4J or ONNX
 * Runtime), loaded once per executor.
 *
 * <pre>{@code
 * TeacherLabeler labeler = new TeacherLabeler(new Dl4jTeacherBackend(jsc.broadcast(zip), sha256, spec, List.of("block2")))
 *         .setBatchSize(128);
 * Dataset<Row> labelled = labeler.transform(images);
 * }</pre>
 */
public final class TeacherLabeler extends Transformer {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private final TeacherBackend teacher;

    private final Param<String> pixelsCol;
    private final Param<String> idCol;
    private final IntParam batchSize;
    private final Param<String> featureEncoding;
    private final Param<String> tapEncodings;
    private final Param<String> logitsEncoding;
    private final BooleanParam keepPixels;

    public TeacherLabeler(TeacherBackend teacher) {
        this(Identifiable.randomUID("teacherLabeler"), teacher);
    }

    public TeacherLabeler(String uid, TeacherBackend teacher) {
        this.uid = uid;
        this.teacher = teacher;
        this.pixelsCol = new Param<>(this, "pixelsCol", "binary column of uint8 CHW pixels in the teacher's input spec");
        this.idCol = new Param<>(this, "idCol", "column that names a row in error messages (optional: empty for none)");
        this.batchSize = new IntParam(this, "batchSize", "images per teacher call", ParamValidators.gt(0));
        this.featureEncoding = new Param<>(this, "featureEncoding", "encoding of the feature-tap cells: " + ColumnEncoding.FEATURE_ALLOWED);
        this.tapEncodings = new Param<>(this, "tapEncodings", "per-tap encodings overriding featureEncoding, 'TAP=ENCODING,...' (empty: none)");
        this.logitsEncoding = new Param<>(this, "logitsEncoding", "encoding of the logits: " + LogitsEncoding.ALLOWED);
        this.keepPixels = new BooleanParam(this, "keepPixels", "whether the output keeps the pixels column");
        KdConfig.SoftLabels defaults = KdConfig.defaults().softLabels();
        setDefault(pixelsCol, ImageTable.PIXELS);
        setDefault(idCol, ImageTable.ID);
        setDefault(batchSize, defaults.batchSize());
        setDefault(featureEncoding, defaults.featureEncoding().configName());
        setDefault(tapEncodings, "");
        setDefault(logitsEncoding, defaults.logitsEncoding().configName());
        setDefault(keepPixels, true);
    }

    public Param<String> pixelsCol() {
        return pixelsCol;
    }

    public Param<String> idCol() {
        return idCol;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> featureEncoding() {
        return featureEncoding;
    }

    public Param<String> tapEncodings() {
        return tapEncodings;
    }

    public Param<String> logitsEncoding() {
        return logitsEncoding;
    }

    public BooleanParam keepPixels() {
        return keepPixels;
    }

    public TeacherLabeler setKeepPixels(boolean value) {
        set(keepPixels, value);
        return this;
    }

    /**
     * Sets how the logits are stored: {@code float32} (an {@code array<float>} column, the default) or {@code topk:K}
     * ({@code topk:K:float16}) for many-class teachers; an unknown spelling is refused here.
     */
    public TeacherLabeler setLogitsEncoding(String value) {
        parseLogits(value);
        set(logitsEncoding, value);
        return this;
    }

    public TeacherLabeler setLogitsEncoding(LogitsEncoding value) {
        return setLogitsEncoding(value.configName());
    }

    /** The logits' encoding. */
    public LogitsEncoding logitsColumnEncoding() {
        return parseLogits($(logitsEncoding));
    }

    private static LogitsEncoding parseLogits(String value) {
        try {
            return LogitsEncoding.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TeacherLabeler logitsEncoding " + e.getMessage(), e);
        }
    }

    private static ColumnEncoding parseFeature(String value, String where) {
        try {
            return ColumnEncoding.parseFeature(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    public TeacherLabeler setPixelsCol(String value) {
        set(pixelsCol, value);
        return this;
    }

    public TeacherLabeler setIdCol(String value) {
        set(idCol, value);
        return this;
    }

    public TeacherLabeler setBatchSize(int value) {
        set(batchSize, value);
        return this;
    }

    /** Sets the encoding of every tap without one of its own; an unknown or logits-only encoding is refused here. */
    public TeacherLabeler setFeatureEncoding(String value) {
        parseFeature(value, "TeacherLabeler featureEncoding");
        set(featureEncoding, value);
        return this;
    }

    public TeacherLabeler setFeatureEncoding(ColumnEncoding value) {
        return setFeatureEncoding(value.configName());
    }

    /** Sets the encoding of each tap named in {@code encodings}; the others keep {@link #featureEncoding}. */
    public TeacherLabeler setTapEncodings(Map<String, ?> encodings) {
        set(tapEncodings, encodings.entrySet().stream().map(e -> e.getKey() + "=" + (e.getValue() instanceof ColumnEncoding c
                ? c.configName() : e.getValue())).collect(Collectors.joining(",")));
        return this;
    }

    /** Sets batch size and encodings as a soft-label config section says. */
    public TeacherLabeler configure(KdConfig.SoftLabels config) {
        return setBatchSize(config.batchSize()).setFeatureEncoding(config.featureEncoding()).setTapEncodings(config.tapEncodings())
                .setLogitsEncoding(config.logitsEncoding());
    }

    public TeacherBackend teacher() {
        return teacher;
    }

    /**
     * The encoding of each of the teacher's taps, in its order.
     *
     * @throws IllegalArgumentException for an unknown or unfit encoding, or a tap the teacher does not have, naming it
     */
    public List<ColumnEncoding> encodings() {
        Map<String, String> perTap = new LinkedHashMap<>();
        for (String pair : $(tapEncodings).split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] kv = pair.split("=", 2);
            if (kv.length != 2 || !teacher.taps().contains(kv[0].trim())) {
                throw new IllegalArgumentException("TeacherLabeler: tapEncodings entry '" + pair + "' must be TAP=ENCODING with TAP one of "
                        + teacher.taps());
            }
            perTap.put(kv[0].trim(), kv[1].trim());
        }
        List<ColumnEncoding> out = new ArrayList<>();
        for (String tap : teacher.taps()) {
            out.add(parseFeature(perTap.getOrDefault(tap, $(featureEncoding)), "TeacherLabeler tap '" + tap + "'"));
        }
        return out;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        String id = $(idCol);
        int idIndex = !id.isEmpty() && Arrays.asList(in.fieldNames()).contains(id) ? in.fieldIndex(id) : -1;
        // taps stored as attention maps: the teacher reduces them where it can, and their cells then hold its maps as they are
        List<ColumnEncoding> encodings = encodings();
        Set<String> attention = new HashSet<>();
        for (int t = 0; t < encodings.size(); t++) {
            if (encodings.get(t) instanceof ColumnEncoding.AttentionMap) {
                attention.add(teacher.taps().get(t));
            }
        }
        TeacherBackend labelling = attention.isEmpty() ? teacher : teacher.withAttentionMaps(attention);
        List<ColumnEncoding> cells = new ArrayList<>(encodings);
        for (int t = 0; t < cells.size(); t++) {
            if (labelling.attentionTaps().contains(labelling.taps().get(t))) {
                cells.set(t, new ColumnEncoding.Dense(((ColumnEncoding.AttentionMap) cells.get(t)).precision()));
            }
        }
        return dataset.toDF().mapPartitions(new TeacherInference(labelling, in.fieldIndex($(pixelsCol)), (Boolean) $(keepPixels), idIndex,
                logitsColumnEncoding(), cells, (Integer) $(batchSize)), Encoders.row(out));
    }

    /**
     * The input schema (without the pixels column unless {@link #keepPixels}) plus the logits and feature columns;
     * refuses a missing or non-binary pixels column and output columns that already exist, naming them.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        String pixels = $(pixelsCol);
        if (!names.contains(pixels)) {
            throw new IllegalArgumentException("TeacherLabeler: no pixels column '" + pixels + "' among " + names
                    + ": set pixelsCol to the binary column of uint8 CHW pixels");
        }
        if (!schema.apply(pixels).dataType().equals(DataTypes.BinaryType)) {
            throw new IllegalArgumentException("TeacherLabeler: column '" + pixels + "' is " + schema.apply(pixels).dataType().simpleString()
                    + ", not binary: it must hold uint8 CHW pixels (" + teacher.spec() + ", " + teacher.spec().valuesPerImage() + " bytes)");
        }
        encodings();
        StructType out = (Boolean) $(keepPixels) ? schema
                : new StructType(java.util.Arrays.stream(schema.fields()).filter(f -> !f.name().equals(pixels))
                        .toArray(org.apache.spark.sql.types.StructField[]::new));
        for (String c : outputColumns()) {
            if (names.contains(c)) {
                throw new IllegalArgumentException("TeacherLabeler: the input already has a column '" + c + "', which the labeler writes: "
                        + "drop or rename it first");
            }
        }
        for (org.apache.spark.sql.types.StructField f : SoftLabelStore.schema(teacher.taps(), teacher.members(), false,
                logitsColumnEncoding()).fields()) {
            if (outputColumns().contains(f.name())) {
                out = out.add(f);
            }
        }
        return out;
    }

    /** The columns {@link #transform} adds: the logits, then one per feature tap. */
    public List<String> outputColumns() {
        List<String> out = new ArrayList<>();
        out.add(SoftLabelStore.logitsColumn(logitsColumnEncoding()));
        teacher.taps().forEach(t -> out.add(SoftLabelStore.featureColumn(t)));
        if (teacher.members() > 1) {
            out.add(SoftLabelStore.MEMBER_LOGITS);
        }
        return out;
    }

    @Override
    public TeacherLabeler copy(ParamMap extra) {
        return copyValues(new TeacherLabeler(uid, teacher), extra);
    }

    @Override
    public String uid() {
        return uid;
    }
}
