package org.kdspark.jobs.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.JobFailedException;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.eval.Evaluation;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.provenance.Provenance;

/**
 * Scores models on a split of the image table where its rows are, on the executors: each task runs every model over its
 * rows in batches and adds the figures to one {@link ScoreSums} per model, and a tree reduction merges them. The driver
 * receives only the sums (each {@code classes^2} counts and a few numbers), never an image or a logit, whatever the
 * size of the split. With the store's teacher logits joined to the rows, the agreement and KL figures are against them,
 * and the stored logits themselves are scored too (the teacher of an ONNX file or an ensemble is its labels).
 */
public final class SparkScoring {

    /** Rows per inference batch inside a task. */
    private static final int BATCH = 256;

    private SparkScoring() {
    }

    /** The figures of each model, in order, and of the stored teacher logits (null when none were joined). */
    public record Scored(List<ScoreSums> models, ScoreSums storedLogits) {
        public long examples() {
            return storedLogits != null ? storedLogits.examples() : models.isEmpty() ? 0 : models.get(0).examples();
        }
    }

    /**
     * The rows to score, {@code id, label, pixels} and, where {@code logits} is given, the store's teacher logits for
     * them: the store's rows of the same images joined on id (a shuffle of the split's ids and logits, not its pixels'
     * bytes twice: the smaller side is the store).
     */
    public static Dataset<Row> rows(Dataset<Row> images, Dataset<Row> storeLabels, SoftLabelStore.Signal logits) {
        Dataset<Row> base = images.select(ImageTable.ID, ImageTable.LABEL, ImageTable.PIXELS);
        if (logits == null) {
            return base;
        }
        return base.join(storeLabels.select(functions.col(SoftLabelStore.ID), functions.col(logits.column())), ImageTable.ID)
                .select(new Column[] {functions.col(ImageTable.ID), functions.col(ImageTable.LABEL), functions.col(ImageTable.PIXELS),
                    functions.col(logits.column())});
    }

    /**
     * Scores {@code models} (and, with {@code logits}, the teacher logits in the rows' fourth column) on {@code rows}
     * as {@link #rows} makes them, taking the pixels as {@code spec} says.
     */
    public static Scored score(Dataset<Row> rows, InputSpec spec, int numClasses, List<ComputationGraph> models, SoftLabelStore.Signal logits) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        List<BarrierTrainer.Snapshot> snapshots = new ArrayList<>();
        for (ComputationGraph m : models) {
            snapshots.add(new BarrierTrainer.Snapshot(m.getConfiguration().toJson(), m.params().toFloatVector(), m.params().shape(), null, null));
        }
        Broadcast<List<BarrierTrainer.Snapshot>> broadcast = jsc.broadcast(snapshots);
        try {
            JavaRDD<ScoreSums[]> partials = rows.toJavaRDD().mapPartitions(new Partition(broadcast, spec, numClasses, logits));
            int depth = Math.max(2, (int) Math.ceil(Math.log(Math.max(2, partials.getNumPartitions())) / Math.log(16)));
            ScoreSums[] total = partials.treeReduce(SparkScoring::merge, depth);
            List<ScoreSums> perModel = List.of(total).subList(0, models.size());
            return new Scored(perModel, logits == null ? null : total[models.size()]);
        } finally {
            broadcast.destroy();
        }
    }

    /**
     * Fails unless {@code scored} test rows are all the test images the image table's provenance counts: rows without
     * teacher logits drop out of the join with the store.
     */
    public static void requireEveryTestImage(long scored, Provenance images) {
        long expected = images.counts().getOrDefault(ImageTable.TEST, scored);
        if (expected == 0 || scored == 0) {
            throw new UserInputException("the image table has no '" + ImageTable.TEST + "' images");
        }
        if (scored != expected) {
            throw new JobFailedException("the soft-label store has logits for " + scored + " of " + expected
                    + " test images: re-run 'kd soft-labels' for this image table");
        }
    }

    private static ScoreSums[] merge(ScoreSums[] a, ScoreSums[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i].merge(b[i]);
        }
        return a;
    }

    /** One task: its rows in batches through every model. */
    private static final class Partition implements org.apache.spark.api.java.function.FlatMapFunction<Iterator<Row>, ScoreSums[]>, Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<List<BarrierTrainer.Snapshot>> models;
        private final InputSpec spec;
        private final int numClasses;
        private final SoftLabelStore.Signal logits;

        Partition(Broadcast<List<BarrierTrainer.Snapshot>> models, InputSpec spec, int numClasses, SoftLabelStore.Signal logits) {
            this.models = models;
            this.spec = spec;
            this.numClasses = numClasses;
            this.logits = logits;
        }

        @Override
        public Iterator<ScoreSums[]> call(Iterator<Row> rows) {
            TaskContext context = TaskContext.get();
            BarrierTrainer.TaskThreads.enter(context == null ? 1 : context.cpus());
            try {
                List<ComputationGraph> nets = new ArrayList<>();
                for (BarrierTrainer.Snapshot s : models.value()) {
                    nets.add(s.network(UnaryOperator.identity()));
                }
                ScoreSums[] sums = new ScoreSums[nets.size() + (logits != null ? 1 : 0)];
                for (int i = 0; i < sums.length; i++) {
                    sums[i] = ScoreSums.of(numClasses);
                }
                int values = spec.valuesPerImage();
                byte[] pixels = new byte[BATCH * values];
                int[] labels = new int[BATCH];
                float[] teacher = logits != null ? new float[BATCH * numClasses] : null;
                int n = 0;
                while (rows.hasNext()) {
                    Row r = rows.next();
                    byte[] p = (byte[]) r.get(2);
                    if (p.length != values) {
                        throw new IllegalStateException("image " + r.getString(0) + " holds " + p.length + " pixel values, the image table"
                                + " declares " + spec.geometry() + " (" + values + ")");
                    }
                    System.arraycopy(p, 0, pixels, n * values, values);
                    labels[n] = r.getInt(1);
                    if (logits != null) {
                        logits.decodeInto(r, 3, teacher, n * numClasses);
                    }
                    if (++n == BATCH) {
                        add(nets, sums, pixels, labels, teacher, n);
                        n = 0;
                    }
                }
                if (n > 0) {
                    add(nets, sums, pixels, labels, teacher, n);
                }
                return List.<ScoreSums[]>of(sums).iterator();
            } finally {
                BarrierTrainer.TaskThreads.exit();
            }
        }

        private void add(List<ComputationGraph> nets, ScoreSums[] sums, byte[] pixels, int[] labels, float[] teacher, int n) {
            LabeledImages batch = new LabeledImages(n, spec, n == BATCH ? pixels : java.util.Arrays.copyOf(pixels, n * spec.valuesPerImage()),
                    n == BATCH ? labels : java.util.Arrays.copyOf(labels, n));
            float[] t = teacher == null ? null : n == BATCH ? teacher : java.util.Arrays.copyOf(teacher, n * numClasses);
            for (int m = 0; m < nets.size(); m++) {
                sums[m].add(Evaluation.logits(nets.get(m), batch), batch.labels(), t);
            }
            if (t != null) {
                sums[nets.size()].add(t, batch.labels(), t);
            }
        }
    }
}
