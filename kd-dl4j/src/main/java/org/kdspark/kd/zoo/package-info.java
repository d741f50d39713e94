/**
 * The model zoo: DL4J {@link org.deeplearning4j.nn.graph.ComputationGraph} architectures found by name.
 *
 * <p>Every architecture is built by {@link org.kdspark.kd.zoo.ModelZoo#build} from a name, typed and
 * validated parameters ({@link org.kdspark.kd.zoo.ParamSpec}), an {@link org.kdspark.kd.data.InputSpec},
 * a class count, a seed and an {@link org.kdspark.kd.zoo.OutputHead}, and follows the conventions the Spark
 * jobs rely on:
 * <ul>
 *   <li>the single input is named {@value org.kdspark.kd.zoo.ModelZoo#INPUT};</li>
 *   <li>{@value org.kdspark.kd.zoo.ModelZoo#LOGITS} is a dense layer with identity activation and
 *       {@code nOut = numClasses}: the raw logits;</li>
 *   <li>{@value org.kdspark.kd.zoo.ModelZoo#OUTPUT} is a {@code LossLayer} on top of the logits whose loss
 *       function and activation come from the caller (softmax + MCXENT for a teacher, identity + a KD loss for
 *       a student);</li>
 *   <li>named feature taps ({@code block1}, {@code block2}, ..., {@code embedding}) are vertices whose
 *       per-example output shapes ({@code [C,H,W]} or {@code [D]}) are listed by
 *       {@link org.kdspark.kd.zoo.ZooModel#taps()}.</li>
 * </ul>
 * Architectures are registered explicitly in {@link org.kdspark.kd.zoo.ModelZoo}; adding one is one new
 * class implementing {@link org.kdspark.kd.zoo.Architecture} plus one line in the registry.
 */
package org.kdspark.kd.zoo;
