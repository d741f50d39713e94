package org.kdspark.kd.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.eval.Metrics;

/** Each per-column encoding against hand-computed or independently computed decodings. */
class ColumnEncodingTest {

    @Test
    void configSpellingsRoundTripAndUnknownOnesNameTheAllowedForms() {
        for (String spec : List.of("float32", "float16", "topk:5", "topk:3:float16", "avgpool:2x2", "avgpool:1x1:float32",
                "attention", "attention:float32")) {
            assertEquals(spec, ColumnEncoding.parse(spec).configName());
        }
        for (String bad : List.of("topk", "topk:0", "avgpool:2", "avgpool:0x2", "attention:int8", "float8", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ColumnEncoding.parse(bad), bad);
            assertTrue(e.getMessage().contains("allowed: float32, float16, topk:K"), e.getMessage());
        }
    }

    @Test
    void denseIsTheValueCodec() {
        float[] x = {1.5f, -2.25f, 3f, 0f, 7f, 8f};
        int[] shape = {1, 2, 3};
        ColumnEncoding e = ColumnEncoding.parse("float16");
        byte[] cell = e.encode(x, 0, shape);
        assertEquals(12, cell.length);
        assertArrayEquals(x, e.decode(cell, e.decodedShape(shape)));
        assertThrows(IllegalArgumentException.class, () -> e.decode(cell, new int[] {5}));
    }

    @Test
    void topKKeepsTheLargestLogitsTheirClassesAndTheTailMass() {
        // classes 0..5; the 2 largest are class 4 (3.0) and class 1 (2.0); tail = log(e^0 + e^-1 + e^0.5 + e^1)
        float[] logits = {0f, 2f, -1f, 0.5f, 3f, 1f};
        ColumnEncoding e = ColumnEncoding.parse("topk:2");
        byte[] cell = e.encode(logits, 0, new int[] {6});
        assertEquals(3 * 4 + 2 * 2, cell.length, "2 values + tail as float32, 2 uint16 indices");
        float[] d = e.decode(cell, new int[] {6});
        double tail = Math.log(Math.exp(0) + Math.exp(-1) + Math.exp(0.5) + Math.exp(1));
        float fill = (float) (tail - Math.log(4));
        assertArrayEquals(new float[] {fill, 2f, fill, fill, 3f, fill}, d, 1e-6f);
        // softmax at T=1: the top-2 probabilities are the teacher's, the rest share the tail's mass evenly
        double[] p = Metrics.softmax(logits, 0, logits.length);
        double[] q = Metrics.softmax(d, 0, d.length);
        assertEquals(p[4], q[4], 1e-6);
        assertEquals(p[1], q[1], 1e-6);
        assertEquals(p[0] + p[2] + p[3] + p[5], 4 * q[0], 1e-6);
    }

    @Test
    void topKOfAllClassesIsLosslessAndTiesAndManyClassesWork() {
        float[] logits = {1f, 1f, 0f};
        ColumnEncoding all = ColumnEncoding.parse("topk:3");
        assertArrayEquals(logits, all.decode(all.encode(logits, 0, new int[] {3}), new int[] {3}));
        ColumnEncoding one = ColumnEncoding.parse("topk:1");
        float[] d = one.decode(one.encode(logits, 0, new int[] {3}), new int[] {3});
        assertEquals(1f, d[0], "a tie goes to the lower class index");
        // 70,000 classes need int32 indices
        int c = 70_000;
        float[] many = new float[c];
        many[69_999] = 9f;
        many[12] = 5f;
        ColumnEncoding e = ColumnEncoding.parse("topk:2:float16");
        byte[] cell = e.encode(many, 0, new int[] {c});
        assertEquals(3 * 2 + 2 * 4, cell.length);
        float[] back = e.decode(cell, new int[] {c});
        assertEquals(9f, back[69_999]);
        assertEquals(5f, back[12]);
        assertThrows(IllegalArgumentException.class, () -> ColumnEncoding.parse("topk:4").decodedShape(new int[] {3}));
    }

    @Test
    void avgPoolIsAdaptiveAveragePooling() {
        // one channel, 3x3 -> 2x2: bins rows {0,1},{1,2} and columns {0,1},{1,2} (overlapping, as AdaptiveAvgPool2d)
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        ColumnEncoding e = ColumnEncoding.parse("avgpool:2x2:float32");
        int[] source = {1, 3, 3};
        assertArrayEquals(new int[] {1, 2, 2}, e.decodedShape(source));
        float[] d = e.decode(e.encode(x, 0, source), e.decodedShape(source));
        assertArrayEquals(new float[] {(1 + 2 + 4 + 5) / 4f, (2 + 3 + 5 + 6) / 4f, (4 + 5 + 7 + 8) / 4f, (5 + 6 + 8 + 9) / 4f}, d, 1e-6f);
        // two channels, 4x4 -> 1x1 is the global mean of each channel; offset into a batch
        float[] batch = new float[3 + 32];
        for (int i = 0; i < 32; i++) {
            batch[3 + i] = i < 16 ? i : 100;
        }
        ColumnEncoding gap = ColumnEncoding.parse("avgpool:1x1");
        assertArrayEquals(new float[] {7.5f, 100f}, gap.decode(gap.encode(batch, 3, new int[] {2, 4, 4}), new int[] {2, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> e.decodedShape(new int[] {8}));
    }

    @Test
    void attentionIsTheNormalisedSumOfSquaresOverChannels() {
        // 2 channels of 2x2: Q = (1+4, 0+1, 4+0, 9+16) = (5, 1, 4, 25), ||Q|| = sqrt(25+1+16+625) = sqrt(667)
        float[] x = {1, 0, 2, 3, -2, 1, 0, 4};
        ColumnEncoding e = ColumnEncoding.parse("attention:float32");
        int[] source = {2, 2, 2};
        assertArrayEquals(new int[] {2, 2}, e.decodedShape(source));
        float[] d = e.decode(e.encode(x, 0, source), new int[] {2, 2});
        double n = Math.sqrt(667);
        assertArrayEquals(new float[] {(float) (5 / n), (float) (1 / n), (float) (4 / n), (float) (25 / n)}, d, 1e-7f);
        // the second example of a batch reads only its own values
        float[] batch = {9, 9, 9, 9, 9, 9, 9, 9, 1, 0, 2, 3, -2, 1, 0, 4, 7};
        assertArrayEquals(e.encode(x, 0, source), e.encode(batch, 8, source));
        // float16 stays within its precision on [0, 1] even for large activations
        float[] big = new float[64 * 49];
        Random r = new Random(1);
        for (int i = 0; i < big.length; i++) {
            big[i] = 50 * r.nextFloat();
        }
        ColumnEncoding half = ColumnEncoding.parse("attention");
        float[] h = half.decode(half.encode(big, 0, new int[] {64, 7, 7}), new int[] {7, 7});
        float[] f = e.decode(e.encode(big, 0, new int[] {64, 7, 7}), new int[] {7, 7});
        for (int p = 0; p < 49; p++) {
            assertEquals(f[p], h[p], 1e-3 * f[p]);
        }
    }
}
