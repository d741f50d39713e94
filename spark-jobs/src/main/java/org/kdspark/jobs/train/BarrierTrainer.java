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

    private final JavaSparkContext jsc;
    final Settings settings;
    private final ComputationGraph network;

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
        try {
            ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
            List<WorkerResult> results = JavaRDD.fromRDD(minibatches.rdd().barrier().mapPartitions(worker(start), false, tag), tag).collect();
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
    record WorkerResult(int partition, double scoreSum, long minibatches, float[] params, float[] updaterState, int iterations)
            implements Serializable {
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

        Worker(Broadcast<Snapshot> start, Settings settings) {
            this.start = start;
            this.batchSize = settings.batchSizePerWorker();
            this.prefetch = settings.prefetchBatches();
            this.topology = settings.allreduce();
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
                            state == null ? null : state.toFloatVector(), net.getIterationCount())
                    : new WorkerResult(context.partitionId(), outcome.scoreSum(), outcome.fitted(), null, null, 0);
            return JavaConverters.asScalaIterator(List.of(result).iterator());
        }
    }
}
