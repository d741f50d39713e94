/**
 * Distillation methods, found by name, and the weighted objective that combines them.
 *
 * <p>A {@link org.kdspark.kd.method.DistillationMethod} is one configured term of the objective. It names the
 * teacher signals it needs from the soft-label store, adds one output head to the student's
 * {@code ComputationGraphConfiguration.GraphBuilder} (a loss layer from {@link org.kdspark.kd.loss}, plus a
 * trainable regressor for FitNets), and builds that head's label array for each minibatch from the hard labels
 * and the teacher signals. {@link org.kdspark.kd.method.Methods} is the registry
 * ({@code kd dkd dist fitnets at sp rkd pkt}, plus the hard-label term {@code ce}; the baseline {@code none} is
 * the objective {@code {ce: 1.0}}). {@link org.kdspark.kd.method.Objective} parses a config map into a
 * weighted sum of named terms and is what a training job talks to.
 *
 * <h2>How a job uses it</h2>
 * <pre>{@code
 * Objective objective = Objective.parse(config);                // e.g. {ce: 1.0, kd: {weight: 0.9, temperature: 4}}
 * objective.teacherSignals();                                   // ["logits"]: what to read from the store
 * GraphBuilder g = zoo.studentBody(...);                        // layers only, no outputs, exposes taps
 * String[] outputs = objective.addTo(g, studentTaps, teacherShapes);   // adds heads, sets outputs
 * ComputationGraph student = new ComputationGraph(g.build());
 * // per minibatch:
 * INDArray[] labels = objective.labels(new Minibatch(classes, numClasses, teacherShapes, teacherArrays, FLOAT));
 * student.fit(new MultiDataSet(new INDArray[] {images}, labels));
 * }</pre>
 * Predictions come from the {@code logits} tap (argmax); every head is for training only, and the FitNets
 * regressor can be dropped with the heads when the student is exported.
 */
package org.kdspark.kd.method;
