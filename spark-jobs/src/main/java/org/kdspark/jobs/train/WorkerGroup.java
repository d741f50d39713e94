package org.kdspark.jobs.train;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Function;
import org.apache.spark.BarrierTaskContext;
import org.kdspark.jobs.config.AllReduceTopology;

/**
 * The tasks of one barrier stage, connected over TCP, summing a vector together in rounds: every round each task gives
 * its example count, whether it has more to do, and its values, and every task gets back the same sums. How the bytes
 * travel is the implementation's: a {@link TaskStar} (task 0 sums everything) or a {@link TaskRing} (reduce-scatter then
 * all-gather around the ring). Both are deterministic: the same messages give the same sums, bit for bit, on every
 * task and in every run with the same number of workers.
 */
public interface WorkerGroup extends AutoCloseable {

    /**
     * One round. The values of a task whose {@code examples} is 0 (it had nothing to contribute) count as nothing and may
     * be empty; all others must have the same length.
     */
    RoundSum sum(int examples, boolean more, float[] values) throws IOException;

    /** Bytes this task has written to its sockets since it joined, length prefixes and headers included. */
    long bytesSent();

    /** Bytes this task has read from its sockets since it joined. */
    long bytesReceived();

    @Override
    void close() throws IOException;

    /**
     * A round's result: the examples of every task added, how many tasks contributed values, whether any has more, and
     * the values summed over the contributing tasks (empty when none did).
     */
    record RoundSum(int examples, int workers, boolean anyMore, float[] values) {
    }

    /** The stage's tasks exchanging addresses once, through {@code allGather}, and connecting as {@code topology} says. */
    static WorkerGroup join(BarrierTaskContext context, AllReduceTopology topology) throws IOException {
        int partition = context.partitionId();
        String executor = context.getTaskInfos()[partition].address();
        int colon = executor.lastIndexOf(':');
        String host = colon > 0 ? executor.substring(0, colon) : executor;
        return join(partition, context.getTaskInfos().length, host, topology, context::allGather);
    }

    /** As {@link #join(BarrierTaskContext, AllReduceTopology)}, with the stage's one all-gather given. */
    static WorkerGroup join(int partition, int workers, String host, AllReduceTopology topology, Function<String, String[]> allGather)
            throws IOException {
        return switch (topology) {
            case STAR -> TaskStar.join(partition, workers, host, allGather);
            case RING -> TaskRing.join(partition, workers, host, allGather);
        };
    }

    /** {@code host:port} as an address. */
    static InetSocketAddress address(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        return new InetSocketAddress(hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
    }
}
