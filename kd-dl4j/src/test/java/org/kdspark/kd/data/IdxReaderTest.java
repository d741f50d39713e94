package org.kdspark.kd.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class IdxReaderTest {

    private static final int N = 7;

    /** IDX images: image i has all pixels = i * 10 + row; labels: i % 3. */
    private static byte[] images(boolean gzip, int declared, int actual) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(gzip ? new GZIPOutputStream(bytes) : bytes)) {
            out.writeInt(0x803);
            out.writeInt(declared);
            out.writeInt(2);
            out.writeInt(3);
            for (int i = 0; i < actual; i++) {
                for (int r = 0; r < 2; r++) {
                    for (int c = 0; c < 3; c++) {
                        out.writeByte(i * 10 + r);
                    }
                }
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] labels(int n) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
            out.writeInt(0x801);
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                out.writeByte(i % 3);
            }
        }
        return bytes.toByteArray();
    }

    private static InputStream in(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    @Test
    void readsGzippedAndPlainFilesAlike() throws IOException {
        LabeledImages gz = IdxReader.read(in(images(true, N, N)), in(labels(N)), 0);
        LabeledImages plain = IdxReader.read(in(images(false, N, N)), in(labels(N)), 0);
        assertEquals(N, gz.count());
        assertEquals(new InputSpec(1, 2, 3), gz.spec());
        assertArrayEquals(gz.pixels(), plain.pixels());
        assertArrayEquals(new byte[] {40, 40, 40, 41, 41, 41}, gz.image(4));
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2, 0}, gz.labels());
    }

    @Test
    void slicesConcatenateToTheWholeFile() throws IOException {
        LabeledImages whole = IdxReader.read(in(images(true, N, N)), in(labels(N)), 0);
        LabeledImages a = IdxReader.read(in(images(true, N, N)), in(labels(N)), 0, 3);
        LabeledImages b = IdxReader.read(in(images(true, N, N)), in(labels(N)), 3, 0);
        assertEquals(3, a.count());
        assertEquals(4, b.count());
        assertArrayEquals(whole.image(3), b.image(0));
        assertEquals(whole.labels()[6], b.labels()[3]);
        assertEquals(N, IdxReader.count(in(images(true, N, N))));
        assertArrayEquals(new int[] {0, 1, 2}, IdxReader.labels(in(labels(N)), 3));
    }

    @Test
    void truncatedFilesAndSwappedFilesAreClearErrors() throws IOException {
        IOException truncated = assertThrows(IOException.class, () -> IdxReader.read(in(images(true, N, 4)), in(labels(N)), 0));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        IOException swapped = assertThrows(IOException.class, () -> IdxReader.read(in(labels(N)), in(images(true, N, N)), 0));
        assertTrue(swapped.getMessage().contains("not an IDX image file"), swapped.getMessage());
    }
}
