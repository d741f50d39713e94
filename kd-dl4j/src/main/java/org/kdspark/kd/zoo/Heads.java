package org.kdspark.kd.zoo;

import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * What a zoo model carries on top of its body: the output layers. The teacher's is one softmax cross-entropy
 * layer ({@link OutputHead}); a student's is one loss head per term of its distillation objective, reading the
 * logits and feature taps.
 */
@FunctionalInterface
public interface Heads {

    /**
     * Adds the output layers to {@code graph}, whose body and {@value ModelZoo#LOGITS} vertex already exist.
     *
     * @param taps the model's taps by vertex name, {@value ModelZoo#LOGITS} ({@code [numClasses]}) included
     * @return the names of the outputs, in the order their labels come
     */
    String[] addTo(GraphBuilder graph, Map<String, Tap> taps);
}
