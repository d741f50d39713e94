package org.kdspark.jobs.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.EpochOrderKind;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.ParquetArtifacts;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.jobs.store.StoreVersion;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.jobs.onnx.OnnxModelExport;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * What a student trains and is judged on, read once: the training rows joined with exactly the store columns the
 * objective needs ({@code persisted}; {@code train} is all of them or those not held out), the validation rows held out
 * of them, and the test rows with the teacher's test logits, all kept on the executors and scored there
 * ({@link SparkScoring}); the driver holds only {@code testSample}, the first test images by id, for verifying exports.
 * Closing it releases the persisted rows.
 */
public record TrainingData(StoreVersion store, List<SoftLabelStore.Signal> signals, TeacherShapes teacherShapes, Provenance imagesProvenance,
        int numClasses, InputSpec spec, Dataset<Row> persisted, Dataset<Row> train, long trainExamples, Dataset<Row> validation,
        long validationExamples, Dataset<Row> test, long testExamples, LabeledImages testSample, int views, int dealtTo)
        implements AutoCloseable {

    /** Salt of the validation split: the same images are held out whatever the student, method or seed. */
    private static final String VALIDATION_SALT = "kd-validation";

    /**
     * Reads the run's image table and soft-label store for {@code objective}, holding out {@code validationFraction}
     * of the training images (0: none). With the {@code local} epoch order the training rows are dealt here, once, to
     * {@code workers} partitions by a hash of their id, and persisted there.
     *
     * @throws IllegalArgumentException when the store lacks a signal the objective needs
     * @throws IllegalStateException when the store does not cover every training image
     */
    public static TrainingData prepare(SparkSession spark, RunLayout layout, Objective objective, double validationFraction, int workers,
            EpochOrderKind order) {
        StoreVersion store = SoftLabelStore.open(spark, layout.softLabels());
        Map<String, SoftLabelStore.Signal> held = store.signals();
        List<SoftLabelStore.Signal> signals = new ArrayList<>();
        for (String signal : objective.teacherSignals()) {
            SoftLabelStore.Signal s = held.get(signal);
            if (s == null) {
                throw new UserInputException("the objective '" + objective + "' needs the teacher signal '" + signal
                        + "', but the soft-label store at " + store.uri() + " holds " + held.keySet()
                        + ": add it to soft_labels.feature_taps and re-run 'kd soft-labels'");
            }
            signals.add(s);
        }
        Provenance imagesProvenance = ParquetArtifacts.provenance(spark, layout.images(), ImageTable.KIND, ImageTable.SCHEMA_VERSION);
        int numClasses = store.numClasses();
        Dataset<Row> images = ImageTable.read(spark, layout.images());
        InputSpec spec = ImageTable.inputSpec(imagesProvenance, images);
        Dataset<Row> labels = store.labelsFor(spark, images);
        // a store with augmented views: every labelled view of each training image, its parameters in the last columns
        int views = store.views();
        Dataset<Row> trainLabels = views > 0 ? store.labelsWithViews(spark, images) : labels;
        List<String> viewColumns = views > 0 ? SoftLabelStore.VIEW_COLUMNS : List.of();
        Dataset<Row> joined = images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TRAIN))
                .join(trainLabels.select(withViews(signalColumns(signals, SoftLabelStore.ID), viewColumns)), ImageTable.ID)
                .select(withViews(signalColumns(signals, ImageTable.ID, ImageTable.PIXELS, ImageTable.LABEL), viewColumns));
        boolean dealt = order == EpochOrderKind.LOCAL;
        Dataset<Row> all = (dealt ? joined.repartition(workers, functions.col(ImageTable.ID)) : joined).persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> validation = null;
        Dataset<Row> test = null;
        try {
            long covered = views > 0 ? all.filter(functions.col(SoftLabelStore.VIEW).equalTo(0)).count() : all.count();
            long imageRows = imagesProvenance.counts().getOrDefault("train", covered);
            if (covered != imageRows) {
                throw new IllegalStateException("the soft-label store covers " + covered + " of " + imageRows
                        + " training images: re-run 'kd soft-labels' for this image table");
            }
            Dataset<Row> train = all;
            if (validationFraction > 0) {
                Column heldOut = functions.pmod(functions.xxhash64(functions.col(ImageTable.ID), functions.lit(VALIDATION_SALT)),
                        functions.lit(1_000_000L)).lt(Math.round(validationFraction * 1_000_000));
                validation = SparkScoring.rows(images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TRAIN)).filter(heldOut), null, null)
                        .persist(StorageLevel.MEMORY_AND_DISK());
                train = all.filter(functions.not(heldOut));
            }
            long validationExamples = validation == null ? 0 : validation.count();
            test = SparkScoring.rows(images.filter(functions.col(ImageTable.SPLIT).equalTo(ImageTable.TEST)), labels, held.get(SoftLabelStore.LOGITS))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            long testExamples = test.count();
            SparkScoring.requireEveryTestImage(testExamples, imagesProvenance);
            LabeledImages testSample = TableImages.collect(images, spec, ImageTable.TEST, OnnxModelExport.VERIFY_IMAGES).images();
            long trainExamples = views > 0 ? train.filter(functions.col(SoftLabelStore.VIEW).equalTo(0)).count() : train.count();
            return new TrainingData(store, signals, SoftLabelStore.shapes(held), imagesProvenance, numClasses, spec, all, train,
                    trainExamples, validation, validationExamples, test, testExamples, testSample, views, dealt ? workers : 0);
        } catch (RuntimeException e) {
            all.unpersist();
            if (validation != null) {
                validation.unpersist();
            }
            if (test != null) {
                test.unpersist();
            }
            throw e;
        }
    }

    /** {@code network}'s figures on the test split, against the teacher's test logits, computed on the executors. */
    public ScoreSums scoreTest(ComputationGraph network) {
        return SparkScoring.score(test, spec, numClasses, List.of(network), store.signals().get(SoftLabelStore.LOGITS)).models().get(0);
    }

    /** {@code network}'s figures on the validation rows (null when none are held out). */
    public ScoreSums scoreValidation(ComputationGraph network) {
        return validation == null ? null : SparkScoring.score(validation, spec, numClasses, List.of(network), null).models().get(0);
    }

    /** The builder of this data's minibatches for {@code objective}. */
    public MinibatchBuilder builder(Objective objective, int batchSize) {
        return new MinibatchBuilder(spec(), numClasses, batchSize, objective, teacherShapes, signals, views > 0);
    }

    /**
     * The minibatches of {@code epoch} on {@code workers} partitions: see {@link EpochOrder}; {@link EpochOrder#local} where
     * the rows were dealt to that many workers, else {@link EpochOrder#global}. With augmented views, each image
     * contributes one of its labelled views, chosen by (seed, epoch, id).
     */
    public JavaRDD<MultiDataSet> minibatches(long seed, int epoch, int workers, MinibatchBuilder builder) {
        Dataset<Row> epochRows = views == 0 ? train : train.filter(functions.col(SoftLabelStore.VIEW).equalTo(functions.pmod(
                functions.xxhash64(functions.col(ImageTable.ID), functions.lit(seed), functions.lit(epoch), functions.lit("view")),
                functions.lit((long) views + 1)).cast("int")));
        return workers == dealtTo ? EpochOrder.local(epochRows, seed, epoch, builder) : EpochOrder.global(epochRows, seed, epoch, workers, builder);
    }

    @Override
    public void close() {
        persisted.unpersist();
        test.unpersist();
        if (validation != null) {
            validation.unpersist();
        }
    }

    private static Column[] withViews(Column[] columns, List<String> viewColumns) {
        List<Column> out = new ArrayList<>(List.of(columns));
        viewColumns.forEach(c -> out.add(functions.col(c)));
        return out.toArray(Column[]::new);
    }

    /** The {@code leading} columns followed by the signals' store columns, in order: the rows MinibatchBuilder reads. */
    private static Column[] signalColumns(List<SoftLabelStore.Signal> signals, String... leading) {
        List<Column> out = new ArrayList<>();
        for (String c : leading) {
            out.add(functions.col(c));
        }
        signals.forEach(s -> out.add(functions.col(s.column())));
        return out.toArray(Column[]::new);
    }
}
