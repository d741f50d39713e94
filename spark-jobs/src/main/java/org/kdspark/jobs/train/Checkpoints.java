package org.kdspark.jobs.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.kdspark.kd.train.EpochResult;

/**
 * Per-epoch checkpoints of a distill run, on any Hadoop file system:
 *
 * <pre>
 * STUDENT_DIR/checkpoints/epoch-0003/model.zip        parameters and updater state (DL4J zip)
 * STUDENT_DIR/checkpoints/epoch-0003/checkpoint.json  epoch, seed, config hash, history so far: written last
 * </pre>
 *
 * A checkpoint is complete when its {@code checkpoint.json} exists (it is written atomically after the model), so
 * a run killed while writing one resumes from the one before. The data order of an epoch is a function of (seed,
 * epoch) alone, so the epoch number is the whole data-order state. The last {@value #KEEP} checkpoints are kept.
 * With early stopping, {@code checkpoints/best/model.zip} holds the student of the best validation epoch so far.
 */
public final class Checkpoints {

    /** What {@code checkpoint.json} holds. */
    public record Meta(
            @JsonProperty("epoch") int epoch,
            @JsonProperty("seed") long seed,
            @JsonProperty("config_hash") String configHash,
            @JsonProperty("config") Object config,
            @JsonProperty("history") List<EpochResult> history) {
    }

    /** A complete checkpoint, loaded. */
    public record Checkpoint(Meta meta, ComputationGraph network) {
    }

    public static final int KEEP = 2;
    private static final String META = "checkpoint.json";
    private static final String MODEL = "model.zip";
    private static final String PREFIX = "epoch-";
    private static final String BEST = "best";

    private final HadoopFiles files;
    private final String dir;

    public Checkpoints(HadoopFiles files, String studentDir) {
        this.files = files;
        this.dir = studentDir + "/checkpoints";
    }

    public String dir() {
        return dir;
    }

    /** Writes the checkpoint after {@code meta.epoch()} and drops all but the newest {@value #KEEP}. */
    public void write(Meta meta, ComputationGraph network) {
        String at = dir + "/" + String.format("%s%04d", PREFIX, meta.epoch());
        files.writeBytes(at + "/" + MODEL, ModelFiles.toZip(network, Provenance.of("distill-checkpoint", 1, "distill")
                .withDetail("epoch", meta.epoch()), true));
        try {
            files.writeStringAtomically(at + "/" + META, Provenance.json().writeValueAsString(meta));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        List<String> all = epochs();
        for (int i = 0; i < all.size() - KEEP; i++) {
            files.delete(dir + "/" + all.get(i));
        }
    }

    /**
     * The newest complete checkpoint, checked against {@code configHash}.
     *
     * @throws IllegalArgumentException when it was written under another config, naming both configs' differences
     */
    public Optional<Checkpoint> latest(String configHash, Object config) {
        List<String> all = new ArrayList<>(epochs());
        for (int i = all.size() - 1; i >= 0; i--) {
            String at = dir + "/" + all.get(i);
            if (!files.exists(at + "/" + META)) {
                continue; // killed while writing it
            }
            Meta meta;
            try {
                meta = Provenance.json().readValue(files.readString(at + "/" + META), Meta.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot parse " + at + "/" + META + ": " + e.getOriginalMessage(), e);
            }
            if (!configHash.equals(meta.configHash())) {
                throw new UserInputException("the checkpoint " + at + " was written by a run with another config or other data ("
                        + meta.configHash() + ", this run " + configHash + "); it had " + meta.config() + ", this run has " + config
                        + ". Run without --resume to start over (the checkpoints are replaced), or restore the config it was written with");
            }
            return Optional.of(new Checkpoint(meta, ModelFiles.graphFromZip(files.readBytes(at + "/" + MODEL), true)));
        }
        return Optional.empty();
    }

    /** Keeps {@code network}, the student of {@code epoch}, as the best so far (replacing the previous best). */
    public void writeBest(int epoch, ComputationGraph network) {
        files.writeBytes(dir + "/" + BEST + "/" + MODEL, ModelFiles.toZip(network, Provenance.of("distill-checkpoint", 1, "distill")
                .withDetail("epoch", epoch).withDetail("best", true), false));
    }

    /** The best student kept by {@link #writeBest}, if any. */
    public Optional<ComputationGraph> best() {
        String at = dir + "/" + BEST + "/" + MODEL;
        return files.exists(at) ? Optional.of(ModelFiles.graphFromZip(files.readBytes(at), false)) : Optional.empty();
    }

    /** Removes every checkpoint: a run that starts over. */
    public void clear() {
        files.delete(dir);
    }

    private List<String> epochs() {
        return files.directories(dir).stream().filter(d -> d.startsWith(PREFIX)).sorted().toList();
    }
}
