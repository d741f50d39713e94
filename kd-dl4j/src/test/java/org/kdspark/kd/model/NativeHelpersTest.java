package org.kdspark.kd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;

class NativeHelpersTest {

    /** Guards the shim: with the default (oneDNN) classifier, zoo convolutions must run through oneDNN. */
    @Test
    void zooConvolutionsUseOneDnnExactlyWhenTheBackendHasIt() {
        boolean enabled = NativeHelpers.enable();
        if (System.getProperty(NativeHelpers.PROPERTY).equals("false")) {
            assertEquals(true, enabled);
        }
        ComputationGraph net = ModelZoo.build("cnn-small", Map.of(), InputSpec.FASHION_MNIST, 10, 1L,
                OutputHead.softmaxCrossEntropy()).init();
        ConvolutionLayer conv = (ConvolutionLayer) net.getLayer("block1_conv1_conv");
        if (enabled && NativeHelpers.backendHasOneDnn()) {
            assertInstanceOf(MKLDNNConvHelper.class, conv.getHelper());
        } else {
            assertNull(conv.getHelper());
        }
    }
}
