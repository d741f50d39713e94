package org.kdspark.kd.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.kdspark.kd.onnx.OnnxGemm;
import org.kdspark.kd.onnx.OnnxModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Timing loops for inference benchmarks, and the machine's matrix-multiply roof they are compared with.
 *
 * <p>Every loop warms up first (JIT, native libraries, first-call allocations) and then runs whole steps until the
 * time is up, so the figure is a steady-state rate. On a shared machine the rates move with its load: report the
 * load with them.
 */
public final class Throughput {

    private Throughput() {
    }

    /** Images per second of {@code step}, which processes {@code batch} images, over about {@code seconds}. */
    public static double imagesPerSecond(Runnable step, int batch, double seconds) {
        long warmUntil = System.nanoTime() + (long) (Math.min(1.0, seconds / 4) * 1e9);
        do {
            step.run();
        } while (System.nanoTime() < warmUntil);
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long images = 0;
        long now;
        do {
            step.run();
            images += batch;
            now = System.nanoTime();
        } while (now < end);
        Nd4j.getExecutioner().commit();
        return images / ((now - start) / 1e9);
    }

    /**
     * GFLOP/s of an ND4J float matrix multiplication {@code [n x n] x [n x n]} ({@code 2 n^3} flops each) on the
     * threads ND4J is configured with ({@code OMP_NUM_THREADS}): the compute roof that {@code roofline_fraction}
     * divides by.
     */
    public static double gemmGflops(int n, double seconds) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);
        double perSecond = imagesPerSecond(() -> a.mmul(b, c), 1, seconds);
        return perSecond * 2.0 * n * n * n / 1e9;
    }

    /**
     * GFLOP/s of ONNX Runtime's float matrix multiplication {@code [n x n] x [n x n]} ({@link OnnxGemm}) on
     * {@code threads} cores: as many Java threads, each running the model on one intra-op thread, as the soft-label
     * job's tasks each run the teacher; the rates of the threads, measured over the same seconds, add up. The compute
     * roof for models run in ONNX Runtime, whose kernels may outrun ND4J's GEMM on the same machine.
     */
    public static double onnxGemmGflops(int n, double seconds, int threads) {
        float[] a = new float[n * n];
        java.util.Arrays.fill(a, 0.5f);
        long[] shape = {n, n};
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (OnnxModel model = OnnxModel.open(OnnxGemm.model(n), 1)) {
            List<Future<Double>> rates = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                rates.add(pool.submit(() -> imagesPerSecond(() -> model.run(a, shape, List.of("c")), 1, seconds)));
            }
            double perSecond = 0;
            for (Future<Double> r : rates) {
                perSecond += r.get();
            }
            return perSecond * OnnxGemm.flops(n) / 1e9;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing the ONNX Runtime GEMM", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the ONNX Runtime GEMM failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
