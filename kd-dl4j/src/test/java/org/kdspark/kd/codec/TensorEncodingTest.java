package org.kdspark.kd.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorEncodingTest {

    @Test
    void float32RoundTripIsExact() {
        float[] values = {0f, -1.5f, 3.25e-7f, Float.MAX_VALUE, -123456.789f};
        assertArrayEquals(values, TensorEncoding.FLOAT32.decode(TensorEncoding.FLOAT32.encode(values)));
        assertEquals(20, TensorEncoding.FLOAT32.encode(values).length);
    }

    @Test
    void float16MatchesKnownBitPatterns() {
        // reference bit patterns of IEEE binary16
        assertEquals((short) 0x3C00, TensorEncoding.toHalf(1f));
        assertEquals((short) 0xC000, TensorEncoding.toHalf(-2f));
        assertEquals((short) 0x7BFF, TensorEncoding.toHalf(65504f));
        assertEquals((short) 0x7C00, TensorEncoding.toHalf(1e6f));
        assertEquals((short) 0x0001, TensorEncoding.toHalf(0x1p-24f));
        assertEquals((short) 0x3555, TensorEncoding.toHalf(1f / 3f));
        assertEquals(0.333251953125f, TensorEncoding.fromHalf((short) 0x3555));
        assertEquals(5.9604645e-8f, TensorEncoding.fromHalf((short) 0x0001));
        assertTrue(Float.isNaN(TensorEncoding.fromHalf(TensorEncoding.toHalf(Float.NaN))));
    }

    @Test
    void float16RoundTripKeepsRelativeErrorBelowOneThousandth() {
        Random random = new Random(7);
        float[] values = new float[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(6) - 3));
        }
        byte[] bytes = TensorEncoding.FLOAT16.encode(values);
        assertEquals(2 * values.length, bytes.length);
        float[] decoded = TensorEncoding.FLOAT16.decode(bytes);
        for (int i = 0; i < values.length; i++) {
            if (Math.abs(values[i]) > 1e-4) {
                assertEquals(values[i], decoded[i], Math.abs(values[i]) * 1e-3, "value " + i);
            }
        }
    }

    @Test
    void configNamesAreValidated() {
        assertEquals(TensorEncoding.FLOAT16, TensorEncoding.fromConfig("float16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorEncoding.fromConfig("bf16"));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
    }
}
