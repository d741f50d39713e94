package org.kdspark.jobs.train;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The tasks of one barrier stage connected in a ring over TCP ({@code distill.allreduce: ring}): task {@code r} sends
 * to task {@code r + 1} and receives from task {@code r - 1} (mod {@code workers}). A round cuts the values into
 * {@code workers} chunks and runs the bandwidth-optimal all-reduce of Patarasuk and Yuan (2009), as Horovod and NCCL do:
 * a reduce-scatter of {@code workers - 1} steps, after which each task holds one chunk summed over all tasks, then an
 * all-gather of {@code workers - 1} steps that passes the summed chunks round. Every task sends, and receives,
 * {@code 2 (workers - 1) / workers} times the values per round, under twice the values whatever the number of workers;
 * the price is {@code 2 (workers - 1)} hops of latency against the star's two.
 *
 * <p>Each step sends on a helper thread while the task's own thread receives, so that no two neighbours wait on each
 * other's full socket buffers. Sums are deterministic: chunk {@code c} starts at task {@code c} and collects the other
 * tasks' values in ring order, the same in every round and run with the same workers, and the all-gather copies the
 * summed chunks, so every task ends with the same floats. The header (examples, contributing tasks, "more") travels with
 * chunk 0. A task that contributes nothing forwards what it receives, not knowing the vector's length.
 */
final class TaskRing implements WorkerGroup {
    private final int partition;
    private final int workers;
    private final SocketChannel next;
    private final SocketChannel previous;
    private final ExecutorService sender;
    private final Wire wire = new Wire();

    private TaskRing(int partition, int workers, SocketChannel next, SocketChannel previous) {
        this.partition = partition;
        this.workers = workers;
        this.next = next;
        this.previous = previous;
        this.sender = workers > 1 ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kd-ring-send-" + partition);
            t.setDaemon(true);
            return t;
        }) : null;
    }

    static TaskRing join(int partition, int workers, String host, Function<String, String[]> allGather) throws IOException {
        if (workers == 1) {
            allGather.apply("");
            return new TaskRing(partition, 1, null, null);
        }
        SocketChannel next = null;
        SocketChannel previous = null;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(0), 1);
            String[] addresses = allGather.apply(host + ":" + server.socket().getLocalPort());
            int successor = (partition + 1) % workers;
            int predecessor = (partition + workers - 1) % workers;
            // connect first (the listen backlog holds it), then accept: no task waits on another's accept
            next = Wire.tuned(TaskStar.connect(partition, successor, addresses[successor]));
            Wire hello = new Wire();
            hello.write(next, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, partition));
            previous = Wire.tuned(server.accept());
            int from = hello.read(previous).getInt();
            if (from != predecessor) {
                throw new IOException("task " + partition + " expected its ring predecessor " + predecessor + ", task " + from + " connected");
            }
            return new TaskRing(partition, workers, next, previous);
        } catch (IOException | RuntimeException e) {
            for (SocketChannel c : new SocketChannel[] {next, previous}) {
                if (c != null) {
                    c.close();
                }
            }
            throw e;
        }
    }

    @Override
    public RoundSum sum(int examples, boolean more, float[] values) throws IOException {
        boolean contributes = examples > 0;
        if (workers == 1) {
            return new RoundSum(examples, contributes ? 1 : 0, more, contributes ? values.clone() : new float[0]);
        }
        int n = contributes ? values.length : 0;
        // chunks[c]: this task's current partial (then final) sum of chunk c; empty where nothing is known yet
        float[][] chunks = new float[workers][];
        for (int c = 0; c < workers; c++) {
            chunks[c] = contributes ? slice(values, c) : new float[0];
        }
        Header header = new Header(examples, contributes ? 1 : 0, more);
        Header ownHeader = header;
        // reduce-scatter: at step s send chunk (r - s), receive chunk (r - s - 1) and add this task's part of it
        for (int s = 0; s < workers - 1; s++) {
            int out = Math.floorMod(partition - s, workers);
            int in = Math.floorMod(partition - s - 1, workers);
            Chunk received = step(new Chunk(out, out == 0 ? header : null, chunks[out]), in);
            // chunk `in` is still this task's own part: it arrives once in this phase and leaves only after
            chunks[in] = add(received.values(), chunks[in]);
            if (in == 0) {
                header = received.header().plus(ownHeader);
            }
        }
        // all-gather: task r now holds chunk (r + 1) summed; pass the summed chunks round
        for (int s = 0; s < workers - 1; s++) {
            int out = Math.floorMod(partition + 1 - s, workers);
            int in = Math.floorMod(partition - s, workers);
            Chunk received = step(new Chunk(out, out == 0 ? header : null, chunks[out]), in);
            chunks[in] = received.values();
            if (in == 0) {
                header = received.header();
            }
        }
        int length = 0;
        for (float[] chunk : chunks) {
            length += chunk.length;
        }
        float[] total = new float[length];
        int at = 0;
        for (float[] chunk : chunks) {
            System.arraycopy(chunk, 0, total, at, chunk.length);
            at += chunk.length;
        }
        if (n > 0 && length != n) {
            throw new IllegalStateException("the ring summed " + length + " values, this worker has " + n + ": the workers' students differ");
        }
        return new RoundSum(header.examples(), header.workers(), header.more(), total);
    }

    /** Sends {@code out} to the next task while receiving chunk {@code expected} from the previous one. */
    private Chunk step(Chunk out, int expected) throws IOException {
        Future<?> sending = sender.submit(() -> {
            try {
                wire.write(next, out.encode());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Chunk in;
        try {
            in = Chunk.decode(wire.read(previous));
        } catch (IOException | RuntimeException e) {
            sending.cancel(true);
            throw e;
        }
        try {
            sending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while sending to the next worker");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : new IOException(e.getCause());
        }
        if (in.index() != expected) {
            throw new IllegalStateException("task " + partition + " expected chunk " + expected + " from its predecessor, got " + in.index());
        }
        return in;
    }

    /** Chunk {@code c} of {@code values}: the {@code c}-th of {@code workers} near-equal consecutive ranges. */
    private float[] slice(float[] values, int c) {
        int from = (int) ((long) values.length * c / workers);
        int to = (int) ((long) values.length * (c + 1) / workers);
        float[] chunk = new float[to - from];
        System.arraycopy(values, from, chunk, 0, chunk.length);
        return chunk;
    }

    /** {@code a + b}, an empty side meaning "nothing contributed". */
    private static float[] add(float[] a, float[] b) {
        if (b.length == 0) {
            return a;
        }
        if (a.length == 0) {
            return b;
        }
        if (a.length != b.length) {
            throw new IllegalStateException("a worker sent a chunk of " + a.length + " values, this one has " + b.length
                    + ": the workers' students differ");
        }
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
        return a;
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
        if (sender != null) {
            sender.shutdownNow();
        }
        for (SocketChannel c : new SocketChannel[] {next, previous}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The counts of a round, summed with chunk 0. */
    private record Header(int examples, int workers, boolean more) {
        Header plus(Header other) {
            return new Header(examples + other.examples, workers + other.workers, more || other.more);
        }
    }

    /** A step's frame: chunk index, whether a header follows, the header, the chunk's floats (little-endian). */
    private record Chunk(int index, Header header, float[] values) {
        private static final int FIXED = 2 * Integer.BYTES + 1;
        private static final int HEADER = 2 * Integer.BYTES + 1;

        ByteBuffer encode() {
            ByteBuffer buffer = ByteBuffer.allocate(FIXED + (header != null ? HEADER : 0) + Float.BYTES * values.length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            buffer.putInt(index).putInt(values.length).put((byte) (header != null ? 1 : 0));
            if (header != null) {
                buffer.putInt(header.examples()).putInt(header.workers()).put((byte) (header.more() ? 1 : 0));
            }
            buffer.asFloatBuffer().put(values);
            return buffer.rewind();
        }

        static Chunk decode(ByteBuffer frame) {
            ByteBuffer buffer = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int index = buffer.getInt();
            int length = buffer.getInt();
            Header header = buffer.get() != 0 ? new Header(buffer.getInt(), buffer.getInt(), buffer.get() != 0) : null;
            FloatBuffer floats = buffer.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            if (floats.remaining() != length) {
                throw new IllegalStateException("a ring frame announced " + length + " floats and carried " + floats.remaining());
            }
            float[] values = new float[length];
            floats.get(values);
            return new Chunk(index, header, values);
        }
    }
}
