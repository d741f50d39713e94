package org.kdspark.jobs.train;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The tasks of one barrier stage connected in a star over TCP ({@code distill.allreduce: star}): task 0 listens on an
 * ephemeral port, the stage's one {@code allGather} tells the others where, and they connect. In each round every task
 * sends task 0 its message, task 0 sums them in partition order and sends every task the result, so task 0 sends and
 * receives {@code workers - 1} times the values each round while the others send them once. Two hops a round, whatever
 * the number of workers: the lower latency for small vectors and few workers. ({@code allGather} itself polls once a
 * second: too slow for a round every few minibatches.) Socket channels are interruptible, so a task killed by Spark
 * does not hang; a peer that dies ends the others' reads, and Spark reruns the stage.
 */
final class TaskStar implements WorkerGroup {
    private final int partition;
    private final List<SocketChannel> peers;
    private final ServerSocketChannel server;
    private final Wire wire = new Wire();

    private TaskStar(int partition, List<SocketChannel> peers, ServerSocketChannel server) {
        this.partition = partition;
        this.peers = peers;
        this.server = server;
    }

    static TaskStar join(int partition, int workers, String host, Function<String, String[]> allGather) throws IOException {
        ServerSocketChannel server = null;
        String advertised = "";
        if (partition == 0) {
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(0), workers);
            advertised = host + ":" + server.socket().getLocalPort();
        }
        String coordinator = allGather.apply(advertised)[0];
        List<SocketChannel> peers = new ArrayList<>();
        TaskStar star = new TaskStar(partition, peers, server);
        try {
            if (partition == 0) {
                SocketChannel[] byPartition = new SocketChannel[workers];
                for (int i = 1; i < workers; i++) {
                    SocketChannel peer = Wire.tuned(server.accept());
                    byPartition[star.wire.read(peer).getInt()] = peer;
                }
                for (int i = 1; i < workers; i++) {
                    peers.add(byPartition[i]);
                }
            } else {
                peers.add(Wire.tuned(connect(partition, 0, coordinator)));
                star.wire.write(peers.get(0), ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, partition));
            }
        } catch (IOException | RuntimeException e) {
            star.close();
            throw e;
        }
        return star;
    }

    /** Task {@code partition}'s connection to task {@code to}, or an error that says what executors need. */
    static SocketChannel connect(int partition, int to, String address) throws IOException {
        try {
            return SocketChannel.open(WorkerGroup.address(address));
        } catch (IOException e) {
            throw new IOException("task " + partition + " could not connect to task " + to + " at " + address + " (" + e
                    + "): executors must reach each other on ephemeral TCP ports, or set distill.trainer: dl4j", e);
        }
    }

    @Override
    public RoundSum sum(int examples, boolean more, float[] values) throws IOException {
        ByteBuffer mine = Message.encode(examples, more, values);
        if (partition != 0) {
            wire.write(peers.get(0), mine);
            return Message.decode(wire.read(peers.get(0)));
        }
        List<ByteBuffer> all = new ArrayList<>();
        all.add(mine);
        for (SocketChannel peer : peers) {
            all.add(wire.read(peer));
        }
        ByteBuffer reply = Message.sum(all);
        for (SocketChannel peer : peers) {
            wire.write(peer, reply.duplicate());
        }
        return Message.decode(reply);
    }

    @Override
    public long bytesSent() {
        return wire.sent();
    }

    @Override
    public long bytesReceived() {
        return wire.received();
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

    /**
     * A round's message: the task's example count, how many tasks it speaks for (1, or 0 when it contributes nothing),
     * whether it has more, then its values as little-endian floats (none when it contributes nothing). Task 0's reply
     * has the same layout with the sums.
     */
    static final class Message {
        private static final int HEADER = 2 * Integer.BYTES + 1;

        private Message() {
        }

        static ByteBuffer encode(int examples, boolean more, float[] values) {
            return encode(examples, examples > 0 ? 1 : 0, more, examples > 0 ? values : new float[0]);
        }

        private static ByteBuffer encode(int examples, int workers, boolean more, float[] values) {
            ByteBuffer buffer = ByteBuffer.allocate(HEADER + Float.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(examples).putInt(workers).put((byte) (more ? 1 : 0));
            buffer.asFloatBuffer().put(values);
            return buffer.rewind();
        }

        /** Task 0's combination: the values summed in partition order, the examples and workers counted. */
        static ByteBuffer sum(List<ByteBuffer> messages) {
            float[] total = null;
            int examples = 0;
            int workers = 0;
            boolean anyMore = false;
            for (ByteBuffer message : messages) {
                ByteBuffer buffer = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                int n = buffer.getInt();
                int w = buffer.getInt();
                anyMore |= buffer.get() != 0;
                if (n == 0) {
                    continue;
                }
                FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                if (total == null) {
                    total = new float[floats.remaining()];
                } else if (floats.remaining() != total.length) {
                    throw new IllegalStateException("a worker sent " + floats.remaining() + " values, another " + total.length
                            + ": the workers' students differ");
                }
                for (int i = 0; i < total.length; i++) {
                    total[i] += floats.get(i);
                }
                examples += n;
                workers += w;
            }
            return encode(examples, workers, anyMore, total == null ? new float[0] : total);
        }

        static RoundSum decode(ByteBuffer message) {
            ByteBuffer buffer = message.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int examples = buffer.getInt();
            int workers = buffer.getInt();
            boolean more = buffer.get() != 0;
            FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] values = new float[floats.remaining()];
            floats.get(values);
            return new RoundSum(examples, workers, more, values);
        }
    }
}
