package org.kdspark.kd.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import onnx.Onnx;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.loss.AttentionTransferLoss;

class OnnxAttentionOutputsTest {

    private static final int BATCH = 5;

    @Test
    void theAddedOutputIsTheNormalisedAttentionMapOfTheFeatureMap() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        byte[] exported = OnnxExporter.builder().inputShape(1, 12, 12).taps("conv2").build().toBytes(g);
        byte[] withMaps = OnnxAttentionOutputs.add(exported, List.of("conv2"));
        float[] input = TinyNets.input(3, BATCH, 1, 12, 12).data().asFloat();
        try (OnnxModel model = OnnxModel.open(withMaps, 1)) {
            assertTrue(model.outputNames().containsAll(List.of("out", "conv2", "conv2:attention")), model.outputNames().toString());
            List<OnnxModel.FlatTensor> out = model.run(input, new long[] {BATCH, 1, 12, 12}, List.of("conv2", "conv2:attention"));
            long[] mapShape = out.get(0).shape(); // [N, 8, 4, 4]
            assertArrayEquals(new long[] {BATCH, mapShape[2], mapShape[3]}, out.get(1).shape());
            int positions = (int) (mapShape[2] * mapShape[3]);
            int perImage = (int) (mapShape[1] * positions);
            for (int i = 0; i < BATCH; i++) {
                double[] map = new double[perImage];
                for (int k = 0; k < perImage; k++) {
                    map[k] = out.get(0).values()[i * perImage + k];
                }
                double[] expected = AttentionTransferLoss.normalizedAttentionMap(map, positions);
                for (int p = 0; p < positions; p++) {
                    assertEquals(expected[p], out.get(1).values()[i * positions + p], 1e-6, "image " + i + " position " + p);
                }
            }
        }
    }

    @Test
    void opset18TakesTheAxesAsInputs() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        byte[] exported = OnnxExporter.builder().inputShape(1, 12, 12).taps("conv2").build().toBytes(g);
        byte[] opset18 = withOpset(exported, 18);
        float[] input = TinyNets.input(4, 2, 1, 12, 12).data().asFloat();
        try (OnnxModel v13 = OnnxModel.open(OnnxAttentionOutputs.add(exported, List.of("conv2")), 1);
                OnnxModel v18 = OnnxModel.open(OnnxAttentionOutputs.add(opset18, List.of("conv2")), 1)) {
            float[] a = v13.run(input, new long[] {2, 1, 12, 12}, List.of("conv2:attention")).get(0).values();
            float[] b = v18.run(input, new long[] {2, 1, 12, 12}, List.of("conv2:attention")).get(0).values();
            assertArrayEquals(a, b, 1e-7f);
        }
    }

    @Test
    void aMissingOrFlatOutputIsRefusedByName() {
        ComputationGraph g = TinyNets.cnn(1, 12, 10);
        byte[] exported = OnnxExporter.builder().inputShape(1, 12, 12).taps("logits").build().toBytes(g);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> OnnxAttentionOutputs.add(exported, List.of("conv9")));
        assertTrue(missing.getMessage().contains("'conv9'"), missing.getMessage());
        IllegalArgumentException flat = assertThrows(IllegalArgumentException.class, () -> OnnxAttentionOutputs.add(exported, List.of("logits")));
        assertTrue(flat.getMessage().contains("rank 2"), flat.getMessage());
        assertSame(exported, OnnxAttentionOutputs.add(exported, List.of()), "no taps: the model as it is");
        assertEquals(List.of("logits", "conv2:attention"), OnnxAttentionOutputs.outputNames(List.of("logits", "conv2"), List.of("conv2")));
        IllegalArgumentException notOnnx = assertThrows(IllegalArgumentException.class, () -> OnnxAttentionOutputs.add(new byte[] {1, 2, 3}, List.of("x")));
        assertTrue(notOnnx.getMessage().startsWith("not an ONNX model"), notOnnx.getMessage());
    }

    private static byte[] withOpset(byte[] onnx, long version) {
        try {
            Onnx.ModelProto m = Onnx.ModelProto.parseFrom(onnx);
            Onnx.ModelProto.Builder b = m.toBuilder().clearOpsetImport()
                    .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(version));
            return b.build().toByteArray();
        } catch (org.nd4j.shade.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
