package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import onnx.Onnx;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.eval.Throughput;

class OnnxGemmTest {

    @Test
    void theModelMultipliesTheInputByItsMatrixFourTimes() throws Exception {
        int n = 3;
        byte[] bytes = OnnxGemm.model(n);
        Onnx.TensorProto init = Onnx.ModelProto.parseFrom(bytes).getGraph().getInitializer(0);
        float[] b = new float[n * n];
        init.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(b);
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        double[] expected = new double[n * n];
        for (int i = 0; i < a.length; i++) {
            expected[i] = a[i];
        }
        for (int m = 0; m < OnnxGemm.MATMULS; m++) {
            double[] next = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    for (int k = 0; k < n; k++) {
                        next[i * n + j] += expected[i * n + k] * b[k * n + j];
                    }
                }
            }
            expected = next;
        }
        try (OnnxModel model = OnnxModel.open(bytes, 1)) {
            float[] c = model.run(a, new long[] {n, n}, List.of("c")).get(0).values();
            float[] want = new float[n * n];
            for (int i = 0; i < want.length; i++) {
                want[i] = (float) expected[i];
            }
            assertArrayEquals(want, c, 1e-5f);
        }
        assertEquals(4 * 2.0 * 27, OnnxGemm.flops(n));
    }

    @Test
    void theRateIsMeasured() {
        double gflops = Throughput.onnxGemmGflops(64, 0.2, 2);
        assertTrue(gflops > 0.01 && Double.isFinite(gflops), "GFLOP/s " + gflops);
    }
}
