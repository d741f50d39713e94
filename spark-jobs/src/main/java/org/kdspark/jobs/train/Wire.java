package org.kdspark.jobs.train;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/** Length-prefixed frames over blocking socket channels, counting the bytes each way. */
final class Wire {
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    /** Writes a frame: its length (4 bytes, big-endian), then the payload. */
    void write(SocketChannel channel, ByteBuffer payload) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(Integer.BYTES).putInt(0, payload.remaining());
        long bytes = Integer.BYTES + payload.remaining();
        while (length.hasRemaining()) {
            channel.write(length);
        }
        while (payload.hasRemaining()) {
            channel.write(payload);
        }
        sent.addAndGet(bytes);
    }

    /** Reads a frame, its payload little-endian. */
    ByteBuffer read(SocketChannel channel) throws IOException {
        ByteBuffer length = ByteBuffer.allocate(Integer.BYTES);
        fill(channel, length);
        ByteBuffer payload = ByteBuffer.allocate(length.getInt(0)).order(ByteOrder.LITTLE_ENDIAN);
        fill(channel, payload);
        received.addAndGet(Integer.BYTES + payload.capacity());
        return payload.flip();
    }

    long sent() {
        return sent.get();
    }

    long received() {
        return received.get();
    }

    private static void fill(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("a peer closed its connection mid-round (its task failed or was killed)");
            }
        }
    }

    /** A connected channel for rounds: Nagle off, since every round waits on its last bytes. */
    static SocketChannel tuned(SocketChannel channel) throws IOException {
        channel.socket().setTcpNoDelay(true);
        return channel;
    }
}
