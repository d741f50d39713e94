package org.kdspark.jobs.models;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.TeacherShapes;
import org.kdspark.kd.progress.Progress;
import org.kdspark.kd.train.BatchAugmenter;
import org.kdspark.kd.train.LabelSource;
import org.kdspark.kd.train.LocalTrainer;
import org.kdspark.kd.zoo.ModelParams;
import org.kdspark.kd.zoo.ModelZoo;
import org.kdspark.kd.zoo.OutputHead;

/**
 * The jobs' view of the model zoo: the teacher and the student named in the config, built with the config's
 * learning rate and seed, and the teacher's single-JVM training.
 */
public final class Models {

    private Models() {
    }

    /** The teacher: softmax cross-entropy on its logits. */
    public static ComputationGraph teacher(KdConfig.Teacher t, InputSpec spec, int numClasses) {
        try {
            return ModelZoo.build(t.architecture(), withLearningRate(t.params(), t.learningRate()), spec, numClasses, t.seed(),
                    OutputHead.softmaxCrossEntropy()).init();
        } catch (IllegalArgumentException e) {
            throw new UserInputException("teacher: the '" + t.architecture() + "' teacher cannot be built for " + numClasses
                    + " classes of " + spec + " images: " + e.getMessage(), e);
        }
    }

    /**
     * The student: the configured architecture with one loss head per term of {@code objective}, reading the
     * student's taps and labelled from the teacher signals whose shapes are {@code teacher}. The baseline is the same
     * architecture, seed and data order with the objective {@code {ce: 1}}.
     */
    public static ComputationGraph student(KdConfig.Distill d, InputSpec spec, int numClasses, Objective objective,
            TeacherShapes teacher) {
        try {
            return ModelZoo.build(d.student(), withLearningRate(d.studentParams(), d.learningRate()), spec, numClasses, d.seed(),
                    objective.heads(teacher)).init();
        } catch (IllegalArgumentException e) {
            // the student, its objective and the store's signals do not fit together: the message names taps and shapes
            throw new UserInputException("distill: the student '" + d.student() + "' cannot be built with the objective '" + objective
                    + "' for the soft-label store: " + e.getMessage(), e);
        }
    }

    /** Trains the teacher on the one-hot labels of {@code data} in this JVM, printing one line per epoch. */
    public static void fitTeacher(ComputationGraph graph, LabeledImages data, int numClasses, KdConfig.Teacher t, String label) {
        BatchAugmenter augmenter = t.flip() || t.shift() > 0 ? BatchAugmenter.shiftAndFlip(t.shift(), t.flip()) : BatchAugmenter.NONE;
        LocalTrainer.fit(graph, data, LabelSource.oneHot(data, numClasses), new LocalTrainer.Options(t.epochs(), t.batchSize(), t.seed(), augmenter),
                s -> Progress.of(label).line("epoch %d/%d  loss %.4f  %.0f ex/s  %.1f s", s.epoch(), t.epochs(), s.meanLoss(),
                        s.examplesPerSecond(), s.seconds()));
    }

    private static Map<String, Object> withLearningRate(Map<String, Object> params, double learningRate) {
        Map<String, Object> p = new LinkedHashMap<>(params);
        if (p.containsKey(ModelParams.LEARNING_RATE)) {
            throw new UserInputException("set the learning rate with the section's learning_rate key, not in params");
        }
        p.put(ModelParams.LEARNING_RATE, learningRate);
        return p;
    }
}
