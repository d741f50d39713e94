package org.kdspark.jobs.train;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.deeplearning4j.datasets.iterator.AsyncMultiDataSetIterator;
import org.deeplearning4j.datasets.iterator.IteratorMultiDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.kdspark.jobs.config.AllReduceTopology;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction1;

/**
 * A trainer whose epoch is one Spark barrier stage of {@code workers} tasks connected as a {@link WorkerGroup} (a ring or
 * a star, {@code distill.allreduce}). Each task
 * rebuilds the student from a broadcast of the driver's parameters and updater state and trains on its dealt
 * minibatches in order (a prefetch thread builds them); how the tasks keep their students together is the subclass's
 * {@link Worker}. The driver adopts the final state one task returns.
 *
 * <p>A barrier stage needs a task slot per worker at once and no dynamic allocation, and executors must reach each
 * other over TCP; if a task fails, Spark reruns the whole stage from the same broadcast.
 */
abstract class BarrierTrainer implements EpochTrainer {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BarrierTrainer.class);

    private final JavaSparkContext jsc;
    final Settings settings;
    private final ComputationGraph network;
    private Broadcast<SerializableConfiguration> hadoop;

    BarrierTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        this.jsc = jsc;
        this.network = network;
        this.settings = settings;
    }

    /** The function each task of the stage runs, starting from {@code start}. */
    abstract Worker worker(Broadcast<Snapshot> start);

    @Override
    public double fitEpoch(JavaRDD<MultiDataSet> minibatches, int epoch) {
        if (minibatches.getNumPartitions() != settings.workers()) {
            throw new IllegalArgumentException("the " + getClass().getSimpleName() + " needs the minibatches dealt to exactly " + settings.workers()
                    + " partitions (one per worker), got " + minibatches.getNumPartitions());
        }
        Broadcast<Snapshot> start = jsc.broadcast(Snapshot.of(network));
        MidEpochCheckpoints mid = null;
        if (settings.midEpochDir() != null && (settings.checkpointMinutes() > 0 || settings.checkpointSteps() > 0)) {
            if (hadoop == null) {
                hadoop = jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
            }
            mid = new MidEpochCheckpoints(settings.midEpochDir(), hadoop, settings.checkpointMinutes(), settings.checkpointSteps());
            // a state left by an earlier run is not this run's
            mid.clear(epoch);
        }
        try {
            ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
            Worker worker = worker(start).resumable(mid, epoch);
            // the shuffle after the barrier stage makes it a shuffle-map stage, which Spark reruns whole when a task fails or an
            // executor is lost; a failed barrier result stage would abort the job instead
            List<WorkerResult> results = JavaRDD.fromRDD(minibatches.rdd().barrier().mapPartitions(worker, false, tag), tag).repartition(1).collect();
            if (mid != null) {
                mid.clear(epoch);
            }
            long resumedAt = results.stream().mapToLong(WorkerResult::resumedAt).max().orElse(0);
            if (resumedAt > 0) {
                LOG.warn("epoch {}: its stage was rerun and resumed from the mid-epoch checkpoint after {} minibatches per worker", epoch, resumedAt);
            }
            double scoreSum = 0;
            long fitted = 0;
            WorkerResult last = null;
            for (WorkerResult r : results) {
                scoreSum += r.scoreSum();
                fitted += r.minibatches();
                if (r.params() != null && (last == null || r.partition() < last.partition())) {
                    last = r;
                }
            }
            if (last == null || fitted == 0) {
                throw new IllegalStateException("epoch " + epoch + " fitted no minibatch" + (last == null ? " (no task returned the final state)" : "")
                        + ": the training split is empty");
            }
            network.params().assign(Nd4j.createFromArray(last.params()).reshape(network.params().shape()));
            INDArray state = network.getUpdater().getStateViewArray();
            if (state != null) {
                state.assign(Nd4j.createFromArray(last.updaterState()).reshape(state.shape()));
            }
            network.getConfiguration().setIterationCount(last.iterations());
            network.incrementEpochCount();
            return scoreSum / fitted;
        } finally {
            start.destroy();
        }
    }

    @Override
    public ComputationGraph network() {
        return network;
    }

    /**
     * The driver's student as the workers rebuild it: configuration (learning rate and counters included), parameters
     * and updater state, with the shapes DL4J keeps them in.
     */
    record Snapshot(String configuration, float[] params, long[] paramsShape, float[] updaterState, long[] updaterShape)
            implements Serializable {

        static Snapshot of(ComputationGraph net) {
            INDArray state = net.getUpdater().getStateViewArray();
            return new Snapshot(net.getConfiguration().toJson(), net.params().toFloatVector(), net.params().shape(),
                    state == null ? null : state.toFloatVector(), state == null ? null : state.shape());
        }

        /** The network, its configuration passed through {@code configure} first (same parameter layout). */
        ComputationGraph network(UnaryOperator<ComputationGraphConfiguration> configure) {
            ComputationGraph net = new ComputationGraph(configure.apply(ComputationGraphConfiguration.fromJson(configuration)));
            net.init(Nd4j.createFromArray(params).reshape(paramsShape), false);
            if (updaterState != null) {
                net.setUpdater(new ComputationGraphUpdater(net, Nd4j.createFromArray(updaterState).reshape(updaterShape)));
            }
            return net;
        }
    }

    /**
     * What a task returns: its score sum and minibatch count, and, from the tasks that hold it, the epoch's final
     * parameters, updater state and iteration count ({@code params} null otherwise).
     */
    record WorkerResult(int partition, double scoreSum, long minibatches, float[] params, float[] updaterState, int iterations,
            long resumedAt) implements Serializable {
    }

    /**
     * ND4J's thread caps while barrier tasks run in this JVM: the cores of one task ({@code spark.task.cpus}) for
     * libnd4j's parallel loops ({@code maxMasterThreads}; its {@code maxThreads} cannot be lowered), for OpenBLAS and
     * for the OpenMP regions of the task's own thread (oneDNN's convolutions and batch norm among them), so that the
     * tasks of an executor, each fitting its own student, do not each spread their operations over every core. The
     * loop and BLAS caps are process-wide: the first task in sets them, the last one out restores them (in local mode
     * the driver shares the JVM). The OpenMP cap is the calling thread's own and each task sets and restores it: Spark
     * starts executors with {@code OMP_NUM_THREADS} at the task's cores, and without it tasks in the driver's JVM (local
     * mode) split oneDNN's reductions over the driver's threads, which sums in another order: measured, the students of
     * {@code local[2]} and {@code local-cluster} then differed in half their parameters after one epoch.
     */
    static final class TaskThreads {
        /** This thread's OpenMP cap before its first task entered, and how many of its tasks are in. */
        private static final ThreadLocal<int[]> SAVED_OPENMP = new ThreadLocal<>();
        private static int active;
        private static int savedLoops;
        private static int savedBlas;

        private TaskThreads() {
        }

        static synchronized void enter(int cpus) {
            if (active++ == 0) {
                savedLoops = Nd4j.getEnvironment().maxMasterThreads();
                savedBlas = Nd4j.factory().blas().getMaxThreads();
                Nd4j.getEnvironment().setMaxMasterThreads(Math.max(1, cpus));
                Nd4j.factory().blas().setMaxThreads(Math.max(1, cpus));
            }
            if (Nd4j.getEnvironment().isCPU()) {
                int[] openMp = SAVED_OPENMP.get();
                if (openMp == null) {
                    SAVED_OPENMP.set(new int[] {openMpThreads(), 1});
                } else {
                    openMp[1]++;
                }
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(Math.max(1, cpus));
            }
        }

        static synchronized void exit() {
            int[] openMp = SAVED_OPENMP.get();
            if (openMp != null && --openMp[1] == 0) {
                NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(openMp[0]);
                SAVED_OPENMP.remove();
            }
            if (--active == 0) {
                Nd4j.getEnvironment().setMaxMasterThreads(savedLoops);
                Nd4j.factory().blas().setMaxThreads(savedBlas);
            }
        }

        /** The OpenMP thread cap of the calling thread (CPU backend). */
        static int openMpThreads() {
            return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
        }
    }

    /** What a task's training loop reports: its score sum, minibatches fitted, and whether its student is the final one. */
    record Outcome(double scoreSum, long fitted, boolean holdsFinalState) {
    }

    /** One task's epoch: the student, the minibatch iterator and the worker group around the subclass's {@link #train}. */
    abstract static class Worker extends AbstractFunction1<scala.collection.Iterator<MultiDataSet>, scala.collection.Iterator<WorkerResult>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<Snapshot> start;
        private final int batchSize;
        private final int prefetch;
        private final AllReduceTopology topology;
        private MidEpochCheckpoints mid;
        private int epoch;
        /** This task's partition, the minibatches skipped on resuming, and task 0's last checkpoint (step, time). */
        private transient int partitionId;
        private transient long resumedAt;
        private transient long lastStep;
        private transient long lastNanos;

        Worker(Broadcast<Snapshot> start, Settings settings) {
            this.start = start;
            this.batchSize = settings.batchSizePerWorker();
            this.prefetch = settings.prefetchBatches();
            this.topology = settings.allreduce();
        }

        /** This worker resuming epoch {@code epoch} from {@code mid}'s state when there is one (null: no mid-epoch checkpoints). */
        Worker resumable(MidEpochCheckpoints checkpoints, int epochNumber) {
            this.mid = checkpoints;
            this.epoch = epochNumber;
            return this;
        }

        /**
         * Called by the subclass whenever every worker that still trains holds the same student, {@code fitted}
         * minibatches of its own into the task (after a step, after an averaging round): task 0 writes the mid-epoch
         * checkpoint when one is due.
         */
        void afterStep(ComputationGraph net, long fitted) {
            if (mid == null || partitionId != 0) {
                return;
            }
            long step = resumedAt + fitted;
            if (mid.due(step, lastStep, lastNanos)) {
                INDArray state = net.getUpdater().getStateViewArray();
                mid.write(new MidEpochCheckpoints.State(epoch, step, net.params().toFloatVector(), state == null ? null : state.toFloatVector(),
                        net.getIterationCount()));
                lastStep = step;
                lastNanos = System.nanoTime();
            }
        }

        /** Adopts the epoch's mid-epoch state, if any, and skips the minibatches this worker had fitted before it. */
        private void resume(ComputationGraph net, MultiDataSetIterator batches) {
            resumedAt = 0;
            MidEpochCheckpoints.State state = mid == null ? null : mid.read(epoch);
            if (state != null) {
                net.params().assign(Nd4j.createFromArray(state.params()).reshape(net.params().shape()));
                INDArray updater = net.getUpdater().getStateViewArray();
                if (updater != null) {
                    updater.assign(Nd4j.createFromArray(state.updaterState()).reshape(updater.shape()));
                }
                net.getConfiguration().setIterationCount(state.iterations());
                for (long i = 0; i < state.step() && batches.hasNext(); i++) {
                    batches.next();
                }
                resumedAt = state.step();
            }
            lastStep = resumedAt;
            lastNanos = System.nanoTime();
        }

        /** The configuration this worker builds its student from: the driver's, unless the subclass adapts it. */
        ComputationGraphConfiguration configure(ComputationGraphConfiguration conf) {
            return conf;
        }

        /** Trains {@code net} on {@code batches}, keeping it together with the other tasks' over {@code group}. */
        abstract Outcome train(ComputationGraph net, MultiDataSetIterator batches, WorkerGroup group) throws IOException;

        @Override
        public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<MultiDataSet> partition) {
            BarrierTaskContext context = BarrierTaskContext.get();
            TaskThreads.enter(context.cpus());
            try {
                return run(context, partition);
            } finally {
                TaskThreads.exit();
            }
        }

        private scala.collection.Iterator<WorkerResult> run(BarrierTaskContext context, scala.collection.Iterator<MultiDataSet> partition) {
            ComputationGraph net = start.value().network(this::configure);
            MultiDataSetIterator batches = new IteratorMultiDataSetIterator(JavaConverters.asJavaIterator(partition), batchSize);
            if (prefetch > 0) {
                batches = new AsyncMultiDataSetIterator(batches, prefetch, false);
            }
            partitionId = context.partitionId();
            resume(net, batches);
            Outcome outcome;
            try (WorkerGroup group = WorkerGroup.join(context, topology)) {
                outcome = train(net, batches, group);
            } catch (IOException e) {
                throw new UncheckedIOException("task " + context.partitionId() + " of the " + getClass().getEnclosingClass().getSimpleName()
                        + " lost its connection to the other workers: " + e.getMessage(), e);
            } catch (UncheckedIOException e) {
                throw new UncheckedIOException("task " + context.partitionId() + " of the " + getClass().getEnclosingClass().getSimpleName()
                        + " lost its connection to the other workers: " + e.getCause().getMessage(), e.getCause());
            } finally {
                if (batches instanceof AsyncMultiDataSetIterator async) {
                    async.shutdown();
                }
            }
            INDArray state = net.getUpdater().getStateViewArray();
            WorkerResult result = outcome.holdsFinalState()
                    ? new WorkerResult(context.partitionId(), outcome.scoreSum(), outcome.fitted(), net.params().toFloatVector(),
                            state == null ? null : state.toFloatVector(), net.getIterationCount(), resumedAt)
                    : new WorkerResult(context.partitionId(), outcome.scoreSum(), outcome.fitted(), null, null, 0, resumedAt);
            return JavaConverters.asScalaIterator(List.of(result).iterator());
        }
    }
}
