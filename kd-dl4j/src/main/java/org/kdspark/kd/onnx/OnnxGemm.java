package org.kdspark.kd.onnx;

import java.util.List;
import java.util.SplittableRandom;
import onnx.Onnx;

/**
 * An ONNX model of {@code MATMULS} chained float matrix multiplications {@code A B B ... B} ({@code [n x n]} each,
 * {@code B} an initializer): timed in ONNX Runtime it gives the rate that ONNX Runtime's own matrix kernels reach on
 * the machine, the roof for the convolutions and dense layers it runs. Chaining keeps the copies of the input and
 * the output (n^2 values each) to a few percent of the {@code 2 n^3} flops of each multiplication.
 */
public final class OnnxGemm {

    /** Multiplications per run. */
    public static final int MATMULS = 4;

    private OnnxGemm() {
    }

    /** The model; its input {@code a} is {@code [n, n]} (the first dimension declared dynamic), its output {@code c}. */
    public static byte[] model(int n) {
        OnnxGraphWriter g = new OnnxGraphWriter("gemm");
        g.floatInput("a", n);
        // values around 1/n keep every product in range however many multiplications follow
        float[] b = new float[n * n];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (random.nextDouble() / n);
        }
        g.floatConstant("b", b, n, n);
        String x = "a";
        for (int i = 1; i <= MATMULS; i++) {
            x = g.node("MatMul", List.of(x, "b"), i == MATMULS ? "c" : "c" + i);
        }
        g.floatOutput("c", n);
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(OnnxExporter.IR_VERSION)
                .setProducerName(OnnxExporter.PRODUCER_NAME)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxExporter.OPSET))
                .setGraph(g.build())
                .build().toByteArray();
    }

    /** Flops of one run of {@link #model(int)}. */
    public static double flops(int n) {
        return MATMULS * 2.0 * n * n * n;
    }
}
