package org.kdspark.kd.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.kd.method.Objective;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The epoch loop of a student's training, whatever trains each epoch (a Spark trainer, a plain loop): per epoch the
 * learning rate of the {@link LearningRateSchedule}, one pass of the {@link EpochRunner}, the {@link LossGuard}, precise
 * batch-norm statistics ({@link PreciseBatchNorm}), evaluation, and {@link EarlyStopping} on the validation accuracy.
 * What happens to each epoch's network (checkpoints, progress lines) is up to the {@link Listener}s.
 *
 * <p>Every decision is a function of the epoch and the history, so a run resumed from a checkpoint ({@link Resume})
 * trains and keeps exactly what an uninterrupted one does.
 */
public final class StudentTrainer {

    /** Trains one epoch at a time. */
    public interface EpochRunner {

        /** The network being trained; the loop sets its learning rate before each epoch. */
        ComputationGraph network();

        /** One pass over the epoch's minibatches; returns the mean training loss. */
        double fitEpoch(int epoch);

        /** The first {@code count} minibatches of the epoch just fitted, in order (for precise BN and the loss guard). */
        List<MultiDataSet> firstBatches(int epoch, int count);
    }

    /** Scores a network after an epoch. */
    public interface Evaluator {

        double testAccuracy(ComputationGraph network);

        /** The validation accuracy, or null without a validation split. */
        Double validationAccuracy(ComputationGraph network);
    }

    /** Told about each epoch as it ends. */
    public interface Listener {

        /**
         * Epoch {@code result} ended; {@code network} is the network being trained, with the epoch's parameters (clone it
         * to keep them), and {@code best} says whether the epoch is the best so far under early stopping.
         */
        default void epochEnded(EpochResult result, List<EpochResult> history, ComputationGraph network, boolean best) {
        }

        /** Training stops before {@code epoch}: validation accuracy last improved at {@code bestEpoch}. */
        default void stoppedEarly(int epoch, int bestEpoch) {
        }
    }

    /**
     * How to train.
     *
     * @param epochs           the last epoch
     * @param preciseBnBatches minibatches whose activations set the batch-norm statistics after each epoch; 0 keeps DL4J's
     *                         moving averages
     * @param objective        the objective, whose terms the loss guard scores one by one
     * @param examplesPerEpoch training examples per epoch, for the examples/s figure
     */
    public record Settings(int epochs, LearningRateSchedule schedule, EarlyStopping earlyStopping, int preciseBnBatches,
            Objective objective, long examplesPerEpoch) {
    }

    /**
     * Where a resumed run starts.
     *
     * @param history the finished epochs
     * @param best    the best epoch's network under early stopping, or null
     */
    public record Resume(List<EpochResult> history, ComputationGraph best) {

        public static final Resume FRESH = new Resume(List.of(), null);

        public int firstEpoch() {
            return history.isEmpty() ? 1 : history.get(history.size() - 1).epoch() + 1;
        }
    }

    /**
     * What was trained.
     *
     * @param trained    the network to keep: the best epoch's under early stopping, else the last epoch's
     * @param keptEpoch  the epoch {@code trained} comes from
     * @param epochsRun  epochs trained by this call (not by the run resumed from)
     */
    public record Result(ComputationGraph trained, List<EpochResult> history, int keptEpoch, int epochsRun, double trainSeconds) {
    }

    private StudentTrainer() {
    }

    public static Result train(EpochRunner runner, Settings settings, Evaluator evaluator, List<Listener> listeners, Resume resume) {
        List<EpochResult> history = new ArrayList<>(resume.history());
        EarlyStopping early = settings.earlyStopping();
        ComputationGraph best = early.enabled() ? resume.best() : null;
        int firstEpoch = resume.firstEpoch();
        long start = System.nanoTime();
        for (int epoch = firstEpoch; epoch <= settings.epochs(); epoch++) {
            if (early.shouldStop(history)) {
                int stopped = epoch;
                listeners.forEach(l -> l.stoppedEarly(stopped, early.bestEpoch(history)));
                break;
            }
            long t0 = System.nanoTime();
            ComputationGraph network = runner.network();
            double lr = settings.schedule().rate(epoch);
            network.setLearningRate(lr);
            ComputationGraph before = network.clone();
            double loss = runner.fitEpoch(epoch);
            int e = epoch;
            LossGuard.check(epoch, loss, runner.network(), before, settings.objective(), count -> runner.firstBatches(e, count));
            double seconds = (System.nanoTime() - t0) / 1e9;
            network = runner.network();
            if (settings.preciseBnBatches() > 0 && PreciseBatchNorm.applies(network)) {
                PreciseBatchNorm.recompute(network, runner.firstBatches(epoch, settings.preciseBnBatches()).stream()
                        .map(b -> b.getFeatures(0)).toList());
            }
            EpochResult result = new EpochResult(epoch, loss, evaluator.testAccuracy(network), evaluator.validationAccuracy(network), lr,
                    settings.examplesPerEpoch() / seconds, seconds);
            history.add(result);
            boolean isBest = early.enabled() && early.bestEpoch(history) == epoch;
            if (isBest) {
                best = network.clone();
            }
            for (Listener l : listeners) {
                l.epochEnded(result, List.copyOf(history), network, isBest);
            }
        }
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        ComputationGraph trained = best != null ? best : runner.network();
        int kept = best != null ? early.bestEpoch(history) : history.size();
        return new Result(trained, List.copyOf(history), kept, history.size() - resume.history().size(), trainSeconds);
    }
}
