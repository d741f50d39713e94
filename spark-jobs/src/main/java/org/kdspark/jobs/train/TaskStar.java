package org.kdspark.jobs.train;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.BarrierTaskContext;

/**
 * The tasks of one barrier stage connected in a star over TCP: task 0 listens on an ephemeral port, the stage's one
 * {@code allGather} tells the others where, and they connect. In each round every task sends task 0 its message, task
 * 0 combines them in partition order and sends every task the result. ({@code allGather} itself polls once a second:
 * too slow for a round every few minibatches.) Socket channels are interruptible, so a task killed by Spark does not
 * hang; a peer that dies ends the others' reads, and Spark reruns the stage.
 */
final class TaskStar implements AutoCloseable {
    private final int partition;
    private final List<SocketChannel> peers;
    private final ServerSocketChannel server;

    private TaskStar(int partition, List<SocketChannel> peers, ServerSocketChannel server) {
        this.partition = partition;
        this.peers = peers;
        this.server = server;
    }

    static TaskStar join(BarrierTaskContext context) throws IOException {
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
                    byPartition[read(peer).getInt()] = peer;
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
                write(channel, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, partition));
            }
        } catch (IOException | RuntimeException e) {
            new TaskStar(partition, peers, server).close();
            throw e;
        }
        return new TaskStar(partition, peers, server);
    }

    /**
     * One round: sends {@code mine} to task 0 and returns what task 0 sends back. On task 0, {@code combine} receives
     * every task's message in partition order (its own first) and its result goes to every task, task 0 included.
     */
    ByteBuffer exchange(ByteBuffer mine, Function<List<ByteBuffer>, ByteBuffer> combine) throws IOException {
        if (partition != 0) {
            write(peers.get(0), mine);
            return read(peers.get(0));
        }
        List<ByteBuffer> all = new ArrayList<>();
        all.add(mine);
        for (SocketChannel peer : peers) {
            all.add(read(peer));
        }
        ByteBuffer reply = combine.apply(all);
        for (SocketChannel peer : peers) {
            write(peer, reply.duplicate());
        }
        return reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
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

    /** Writes a length-prefixed frame. */
    static void write(SocketChannel channel, ByteBuffer payload) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(Integer.BYTES).putInt(0, payload.remaining());
        while (length.hasRemaining()) {
            channel.write(length);
        }
        while (payload.hasRemaining()) {
            channel.write(payload);
        }
    }

    /** Reads a length-prefixed frame, little-endian. */
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
