package org.kdspark.jobs.distill;

import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.datasets.iterator.AsyncMultiDataSetIterator;
import org.deeplearning4j.datasets.iterator.IteratorMultiDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Synchronous parameter averaging on Spark's own primitives: an epoch is one barrier stage of {@code workers} tasks.
 * Each task builds the student from a broadcast of the driver's parameters and updater state, fits
 * {@code averagingFrequency} of its minibatches (built by a prefetch thread), then sends parameters and updater state
 * to task 0, which averages them over the workers that fitted in that round, in partition order (so the result is
 * deterministic), and sends the average back ({@link Star}); they go on until no task has minibatches left. Task 0
 * returns the final average to the driver.
 *
 * <p>Against {@link ParameterAveragingTrainer} this saves a Spark job per averaging round (a broadcast, a task
 * launch per worker, a {@code treeAggregate}) and keeps each worker's minibatches in the order they were dealt. Task 0
 * moves {@code 2 x workers x (params + updater state)} floats a round. A barrier stage needs a task slot per worker
 * at once and no dynamic allocation, and executors must reach each other over TCP; if a task fails, Spark reruns the
 * whole stage from the same broadcast.
 */
public final class BarrierAveragingTrainer implements EpochTrainer {

    private final JavaSparkContext jsc;
    private final Settings settings;
    private final ComputationGraph network;

    public BarrierAveragingTrainer(JavaSparkContext jsc, ComputationGraph network, Settings settings) {
        this.jsc = jsc;
        this.network = network;
        this.settings = settings;
    }

    @Override
    public double fitEpoch(JavaRDD<MultiDataSet> minibatches, int epoch) {
        if (minibatches.getNumPartitions() != settings.workers()) {
            throw new IllegalArgumentException("the barrier trainer needs the minibatches dealt to exactly " + settings.workers()
                    + " partitions (one per worker), got " + minibatches.getNumPartitions());
        }
        Broadcast<Snapshot> start = jsc.broadcast(Snapshot.of(network));
        try {
            ClassTag<WorkerResult> tag = ClassTag$.MODULE$.apply(WorkerResult.class);
            List<WorkerResult> results = JavaRDD.fromRDD(minibatches.rdd().barrier().mapPartitions(
                    new Worker(start, settings.batchSizePerWorker(), settings.averagingFrequency(), settings.prefetchBatches()), false, tag),
                    tag).collect();
            double scoreSum = 0;
            long fitted = 0;
            WorkerResult first = null;
            for (WorkerResult r : results) {
                scoreSum += r.scoreSum();
                fitted += r.minibatches();
                if (r.partition() == 0) {
                    first = r;
                }
            }
            if (first == null || fitted == 0) {
                throw new IllegalStateException("epoch " + epoch + " fitted no minibatch" + (first == null ? " (no result from task 0)" : "")
                        + ": the training split is empty");
            }
            network.params().assign(Nd4j.createFromArray(first.params()).reshape(network.params().shape()));
            INDArray state = network.getUpdater().getStateViewArray();
            if (state != null) {
                state.assign(Nd4j.createFromArray(first.updaterState()).reshape(state.shape()));
            }
            network.getConfiguration().setIterationCount(first.iterations());
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

        ComputationGraph network() {
            ComputationGraph net = new ComputationGraph(ComputationGraphConfiguration.fromJson(configuration));
            net.init(Nd4j.createFromArray(params).reshape(paramsShape), false);
            if (updaterState != null) {
                net.setUpdater(new ComputationGraphUpdater(net, Nd4j.createFromArray(updaterState).reshape(updaterShape)));
            }
            return net;
        }
    }

    /** What a task returns: its score sum and minibatch count, and (task 0) the final averaged state. */
    record WorkerResult(int partition, double scoreSum, long minibatches, float[] params, float[] updaterState, int iterations)
            implements Serializable {
    }

    /** One worker's epoch: fit, exchange, average, until every worker is out of minibatches. */
    static final class Worker extends AbstractFunction1<scala.collection.Iterator<MultiDataSet>, scala.collection.Iterator<WorkerResult>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Broadcast<Snapshot> start;
        private final int batchSize;
        private final int frequency;
        private final int prefetch;

        Worker(Broadcast<Snapshot> start, int batchSize, int frequency, int prefetch) {
            this.start = start;
            this.batchSize = batchSize;
            this.frequency = frequency;
            this.prefetch = prefetch;
        }

        @Override
        public scala.collection.Iterator<WorkerResult> apply(scala.collection.Iterator<MultiDataSet> partition) {
            BarrierTaskContext context = BarrierTaskContext.get();
            ComputationGraph net = start.value().network();
            INDArray params = net.params();
            INDArray state = net.getUpdater().getStateViewArray();
            MultiDataSetIterator batches = new IteratorMultiDataSetIterator(JavaConverters.asJavaIterator(partition), batchSize);
            if (prefetch > 0) {
                batches = new AsyncMultiDataSetIterator(batches, prefetch, false);
            }
            double scoreSum = 0;
            long fitted = 0;
            try (Star star = Star.join(context)) {
                boolean anyMore = true;
                while (anyMore) {
                    int round = 0;
                    while (round < frequency && batches.hasNext()) {
                        net.fit(batches.next());
                        scoreSum += net.score();
                        round++;
                    }
                    fitted += round;
                    anyMore = star.average(round, batches.hasNext(), params, state);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("the barrier trainer's task " + context.partitionId() + " lost its connection to the other "
                        + "workers: " + e.getMessage(), e);
            } finally {
                if (batches instanceof AsyncMultiDataSetIterator async) {
                    async.shutdown();
                }
            }
            WorkerResult result = context.partitionId() == 0
                    ? new WorkerResult(0, scoreSum, fitted, params.toFloatVector(), state == null ? null : state.toFloatVector(),
                            net.getIterationCount())
                    : new WorkerResult(context.partitionId(), scoreSum, fitted, null, null, 0);
            return JavaConverters.asScalaIterator(List.of(result).iterator());
        }
    }

    /**
     * The workers of one barrier stage connected in a star over TCP: task 0 listens on an ephemeral port, the stage's
     * one {@code allGather} tells the others where, and they connect. In each round every worker sends task 0 its
     * message, task 0 averages them in partition order and sends every worker the result. ({@code allGather} itself
     * polls once a second: too slow for a round every few minibatches.) Socket channels are interruptible, so a task
     * killed by Spark does not hang; a peer that dies ends the others' reads, and Spark reruns the stage.
     */
    static final class Star implements AutoCloseable {
        private final int partition;
        private final List<SocketChannel> peers;
        private final ServerSocketChannel server;

        private Star(int partition, List<SocketChannel> peers, ServerSocketChannel server) {
            this.partition = partition;
            this.peers = peers;
            this.server = server;
        }

        static Star join(BarrierTaskContext context) throws IOException {
            int partition = context.partitionId();
            int workers = context.getTaskInfos().length;
            ServerSocketChannel server = null;
            String advertised = "";
            if (partition == 0) {
                server = ServerSocketChannel.open();
                server.bind(new InetSocketAddress(0), workers);
                String executor = context.getTaskInfos()[0].address();
                int colon = executor.lastIndexOf(':');
                advertised = (colon > 0 ? executor.substring(0, colon) : executor) + ":" + server.socket().getLocalPort();
            }
            String coordinator = context.allGather(advertised)[0];
            List<SocketChannel> peers = new ArrayList<>();
            try {
                if (partition == 0) {
                    SocketChannel[] byPartition = new SocketChannel[workers];
                    for (int i = 1; i < workers; i++) {
                        SocketChannel peer = server.accept();
                        peer.socket().setTcpNoDelay(true);
                        byPartition[Frames.read(peer).getInt()] = peer;
                    }
                    for (int i = 1; i < workers; i++) {
                        peers.add(byPartition[i]);
                    }
                } else {
                    int colon = coordinator.lastIndexOf(':');
                    InetSocketAddress address = new InetSocketAddress(coordinator.substring(0, colon), Integer.parseInt(coordinator.substring(colon + 1)));
                    SocketChannel channel;
                    try {
                        channel = SocketChannel.open(address);
                    } catch (IOException e) {
                        throw new IOException("task " + partition + " could not connect to task 0 at " + coordinator + " (" + e
                                + "): executors must reach each other on ephemeral TCP ports, or set distill.trainer: dl4j", e);
                    }
                    channel.socket().setTcpNoDelay(true);
                    peers.add(channel);
                    Frames.write(channel, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, partition));
                }
            } catch (IOException | RuntimeException e) {
                new Star(partition, peers, server).close();
                throw e;
            }
            return new Star(partition, peers, server);
        }

        /**
         * Exchanges this worker's round ({@code fitted} minibatches, whether it has {@code more}) and sets
         * {@code params} and {@code state} to the round's average. Returns whether any worker has minibatches left.
         */
        boolean average(int fitted, boolean more, INDArray params, INDArray state) throws IOException {
            ByteBuffer mine = Exchange.encode(fitted, more, params, state);
            if (partition != 0) {
                Frames.write(peers.get(0), mine);
                return Exchange.adopt(Frames.read(peers.get(0)), params, state);
            }
            List<ByteBuffer> all = new ArrayList<>();
            all.add(mine);
            for (SocketChannel peer : peers) {
                all.add(Frames.read(peer));
            }
            boolean anyMore = Exchange.average(all, params, state);
            ByteBuffer reply = Exchange.encode(0, anyMore, params, state);
            for (SocketChannel peer : peers) {
                Frames.write(peer, reply.duplicate());
            }
            return anyMore;
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel peer : peers) {
                peer.close();
            }
            if (server != null) {
                server.close();
            }
        }
    }

    /** Length-prefixed frames on a blocking socket channel. */
    static final class Frames {
        private Frames() {
        }

        static void write(SocketChannel channel, ByteBuffer payload) throws IOException {
            ByteBuffer length = ByteBuffer.allocate(Integer.BYTES).putInt(0, payload.remaining());
            while (length.hasRemaining()) {
                channel.write(length);
            }
            while (payload.hasRemaining()) {
                channel.write(payload);
            }
        }

        static ByteBuffer read(SocketChannel channel) throws IOException {
            ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
            fill(channel, length);
            ByteBuffer payload = ByteBuffer.allocate(length.getInt(0)).order(ByteOrder.LITTLE_ENDIAN);
            fill(channel, payload);
            return payload.flip();
        }

        private static void fill(SocketChannel channel, ByteBuffer buffer) throws IOException {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    throw new EOFException("a peer closed its connection mid-round (its task failed or was killed)");
                }
            }
        }
    }

    /**
     * A round's message: the minibatches fitted in the round, whether more are left, then parameters and updater state
     * as little-endian floats.
     */
    static final class Exchange {
        private static final int HEADER = Integer.BYTES + 1;

        private Exchange() {
        }

        static ByteBuffer encode(int fitted, boolean more, INDArray params, INDArray state) {
            float[] p = params.toFloatVector();
            float[] s = state == null ? new float[0] : state.toFloatVector();
            ByteBuffer buffer = ByteBuffer.allocate(HEADER + Float.BYTES * (p.length + s.length)).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(fitted).put((byte) (more ? 1 : 0));
            buffer.asFloatBuffer().put(p).put(s);
            return buffer.rewind();
        }

        /**
         * Sets {@code params} and {@code state} to the mean over the messages of workers that fitted in this round (in
         * list order, which is partition order); leaves them as they are when none did. Returns whether any worker has
         * minibatches left.
         */
        static boolean average(List<ByteBuffer> messages, INDArray params, INDArray state) {
            int n = (int) params.length();
            int m = state == null ? 0 : (int) state.length();
            float[] sum = new float[n + m];
            int contributors = 0;
            boolean anyMore = false;
            for (ByteBuffer message : messages) {
                ByteBuffer buffer = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int fitted = buffer.getInt();
                anyMore |= buffer.get() != 0;
                if (fitted == 0) {
                    continue;
                }
                FloatBuffer floats = floats(buffer, n + m);
                for (int i = 0; i < n + m; i++) {
                    sum[i] += floats.get(i);
                }
                contributors++;
            }
            if (contributors > 0) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] /= contributors;
                }
                set(sum, params, state);
            }
            return anyMore;
        }

        /** Sets {@code params} and {@code state} from an average sent by task 0; returns its "any worker has more" flag. */
        static boolean adopt(ByteBuffer reply, INDArray params, INDArray state) {
            ByteBuffer buffer = reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            buffer.getInt();
            boolean anyMore = buffer.get() != 0;
            int n = (int) params.length();
            int m = state == null ? 0 : (int) state.length();
            float[] values = new float[n + m];
            floats(buffer, n + m).get(values);
            set(values, params, state);
            return anyMore;
        }

        private static FloatBuffer floats(ByteBuffer buffer, int expected) {
            FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (floats.remaining() != expected) {
                throw new IllegalStateException("a worker sent " + floats.remaining() + " floats, expected " + expected
                        + ": the workers' students differ");
            }
            return floats;
        }

        private static void set(float[] values, INDArray params, INDArray state) {
            int n = (int) params.length();
            params.assign(Nd4j.createFromArray(Arrays.copyOfRange(values, 0, n)).reshape(params.shape()));
            if (state != null) {
                state.assign(Nd4j.createFromArray(Arrays.copyOfRange(values, n, values.length)).reshape(state.shape()));
            }
        }
    }
}
