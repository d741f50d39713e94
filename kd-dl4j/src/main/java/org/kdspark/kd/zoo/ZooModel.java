package org.kdspark.kd.zoo;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.model.NativeHelpers;

/**
 * A built zoo model: the DL4J configuration together with what it was built from and its taps.
 *
 * @param architecture the architecture name
 * @param params       the validated parameters (defaults filled in), for provenance
 * @param input        the input the network expects
 * @param numClasses   width of {@value ModelZoo#LOGITS}
 * @param seed         the seed of the weight initialisation
 * @param heads        the output layers on top of the logits
 * @param conf         the graph configuration (JSON-serialisable)
 * @param taps         the feature taps with their per-example shapes, in network order
 */
public record ZooModel(String architecture, ModelParams params, InputSpec input, int numClasses, long seed,
                       Heads heads, ComputationGraphConfiguration conf, List<Tap> taps) {

    public ZooModel {
        Objects.requireNonNull(conf, "conf");
        taps = List.copyOf(taps);
    }

    /**
     * A new network with freshly initialised parameters (deterministic for the seed). Switches on DL4J's native
     * layer helpers first ({@link NativeHelpers#enable()}), unless {@code -D} says otherwise.
     */
    public ComputationGraph init() {
        NativeHelpers.enable();
        ComputationGraph graph = new ComputationGraph(conf.clone());
        graph.init();
        return graph;
    }

    /** The tap named {@code name}. */
    public Tap tap(String name) {
        return taps.stream().filter(t -> t.vertex().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("architecture '" + architecture + "' has no tap '" + name + "'; taps: "
                        + taps.stream().map(Tap::vertex).toList()));
    }

    /** The per-example shape of {@value ModelZoo#LOGITS}: {@code [numClasses]}. */
    public long[] logitsShape() {
        return new long[] {numClasses};
    }
}
