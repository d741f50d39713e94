package org.kdspark.kd.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (big-endian magic, dimensions, then unsigned bytes),
 * gzipped or not.
 *
 * @see <a href="http://yann.lecun.com/exdb/mnist/">the IDX format</a>
 */
public final class IdxReader {

    private static final int UBYTE_IMAGES = 0x00000803;
    private static final int UBYTE_LABELS = 0x00000801;

    private IdxReader() {
    }

    /**
     * Reads an image file and its label file into one block.
     *
     * @param limit keep at most this many images; {@code <= 0} keeps all
     */
    public static LabeledImages read(InputStream images, InputStream labels, int limit) throws IOException {
        return read(images, labels, 0, limit);
    }

    /**
     * Reads images {@code first .. first + limit - 1} (all from {@code first} when {@code limit <= 0}), so that
     * several readers can each take a slice of one file.
     */
    public static LabeledImages read(InputStream images, InputStream labels, int first, int limit) throws IOException {
        try (DataInputStream img = open(images); DataInputStream lab = open(labels)) {
            int magic = img.readInt();
            if (magic != UBYTE_IMAGES) {
                throw new IOException(String.format("not an IDX image file: magic 0x%08x, expected 0x%08x", magic, UBYTE_IMAGES));
            }
            int count = img.readInt();
            int rows = img.readInt();
            int cols = img.readInt();
            int labelMagic = lab.readInt();
            if (labelMagic != UBYTE_LABELS) {
                throw new IOException(String.format("not an IDX label file: magic 0x%08x, expected 0x%08x", labelMagic, UBYTE_LABELS));
            }
            int labelCount = lab.readInt();
            if (labelCount != count) {
                throw new IOException("image file holds " + count + " images but label file holds " + labelCount + " labels");
            }
            if (first < 0 || first > count) {
                throw new IOException("slice starts at image " + first + " but the file holds " + count);
            }
            int n = limit > 0 ? Math.min(limit, count - first) : count - first;
            InputSpec spec = new InputSpec(1, rows, cols);
            img.skipNBytes((long) first * spec.valuesPerImage());
            lab.skipNBytes(first);
            byte[] pixels = new byte[n * spec.valuesPerImage()];
            byte[] rawLabels = new byte[n];
            try {
                img.readFully(pixels);
                lab.readFully(rawLabels);
            } catch (EOFException e) {
                throw new IOException("IDX file is truncated: expected " + n + " records", e);
            }
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = rawLabels[i] & 0xFF;
            }
            return new LabeledImages(n, spec, pixels, out);
        }
    }

    /** The first {@code limit} labels of an IDX label file (all when {@code limit <= 0}). */
    public static int[] labels(InputStream idx, int limit) throws IOException {
        try (DataInputStream in = open(idx)) {
            int magic = in.readInt();
            if (magic != UBYTE_LABELS) {
                throw new IOException(String.format("not an IDX label file: magic 0x%08x, expected 0x%08x", magic, UBYTE_LABELS));
            }
            int count = in.readInt();
            int n = limit > 0 ? Math.min(limit, count) : count;
            byte[] raw = new byte[n];
            in.readFully(raw);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i] & 0xFF;
            }
            return out;
        }
    }

    /** The number of records an IDX file declares (reads only its header). */
    public static int count(InputStream idx) throws IOException {
        try (DataInputStream in = open(idx)) {
            in.readInt();
            return in.readInt();
        }
    }

    private static DataInputStream open(InputStream in) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int b1 = buffered.read();
        int b2 = buffered.read();
        buffered.reset();
        boolean gzip = b1 == 0x1f && b2 == 0x8b;
        return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16) : buffered);
    }
}
