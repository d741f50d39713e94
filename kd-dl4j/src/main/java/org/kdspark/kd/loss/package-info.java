/**
 * Distillation losses as DL4J {@link org.nd4j.linalg.lossfunctions.ILossFunction}s: exact values and analytic
 * gradients, one class per paper.
 *
 * <p>Every loss sits on an output (or loss) layer of the student {@code ComputationGraph}; the layer's labels
 * carry the teacher signal (teacher logits, a teacher feature map or attention map, a teacher embedding), so
 * that the whole objective is an ordinary multi-output DL4J graph that trains unchanged on Spark.
 *
 * <h2>Conventions shared by all losses</h2>
 * <ul>
 *   <li>The input of a loss is the layer's <em>output</em> {@code activation(preOutput)}; put the loss on a
 *       layer with {@code Activation.IDENTITY} so that it sees raw logits or raw features. Gradients are
 *       taken through whatever activation is configured.</li>
 *   <li>Arithmetic is done in double precision whatever the network's data type; the result is cast back.</li>
 *   <li>{@code computeScore(..., average=true)} divides by the number of rows, as DL4J's own losses do;
 *       {@code computeGradient} is <em>not</em> divided by the minibatch size (DL4J divides later).</li>
 *   <li>Masks are per example ({@code [mb, 1]}). Per-example losses weight each row by its mask value;
 *       relational losses drop masked rows from the relation.</li>
 *   <li>Relational losses (SP, RKD, PKT, DIST) couple the examples of a minibatch. Their per-row scores spread
 *       the batch loss {@code L} evenly so that DL4J's average score equals the paper's batch loss {@code L},
 *       and their gradients are {@code mb * dL/dx} so that DL4J's division by {@code mb} yields
 *       {@code dL/dx}.</li>
 *   <li>Weights live inside each loss, because DL4J sums the scores of a multi-output graph unweighted.</li>
 *   <li>Losses are immutable and stateless: one instance is shared by all threads of a JVM. Their parameters
 *       are Jackson properties, so they round-trip through the graph configuration JSON.</li>
 * </ul>
 */
package org.kdspark.kd.loss;
