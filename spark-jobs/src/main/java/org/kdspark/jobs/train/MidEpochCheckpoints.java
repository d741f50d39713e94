package org.kdspark.jobs.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.kdspark.jobs.spark.HadoopFiles;

/**
 * The state of a barrier epoch part-way through, so that a stage Spark reruns (an executor lost, a task failed)
 * resumes where the last checkpoint left it instead of at the epoch's start. Task 0 writes it, replacing the previous
 * one atomically, after a step (all-reduce) or an averaging round ({@code barrier}) once {@code minutes} of training
 * have passed since its last write, or every {@code steps} minibatches when that is set; only while it still has
 * minibatches of its own, since then every worker holds the same student. A rerun task reads it, adopts its
 * parameters, updater state and step count, and skips the minibatches its worker had fitted before it: the epoch's
 * order is a function of (seed, epoch), so it goes on with the same minibatches and ends with the student of an
 * uninterrupted epoch. The file lives as long as the epoch's stage: the driver removes it before and after.
 */
final class MidEpochCheckpoints implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String dir;
    private final Broadcast<SerializableConfiguration> hadoop;
    private final double minutes;
    private final int steps;

    /** Where the state of one epoch is: {@code dir} (a Hadoop URI); {@code steps} > 0 overrides {@code minutes}. */
    MidEpochCheckpoints(String dir, Broadcast<SerializableConfiguration> hadoop, double minutes, int steps) {
        this.dir = dir;
        this.hadoop = hadoop;
        this.minutes = minutes;
        this.steps = steps;
    }

    /** A worker's student part-way through epoch {@code epoch}: after {@code step} of each worker's minibatches. */
    record State(int epoch, long step, float[] params, float[] updaterState, int iterations) implements Serializable {
    }

    String file(int epoch) {
        return dir + String.format(Locale.ROOT, "/epoch-%04d.state", epoch);
    }

    /** Whether a checkpoint is due after {@code step} minibatches, the last written after {@code lastStep} at {@code lastNanos}. */
    boolean due(long step, long lastStep, long lastNanos) {
        if (steps > 0) {
            return step / steps > lastStep / steps;
        }
        return minutes > 0 && System.nanoTime() - lastNanos >= minutes * 60e9;
    }

    State read(int epoch) {
        HadoopFiles files = files();
        String file = file(epoch);
        if (!files.exists(file)) {
            return null;
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(files.readBytes(file)))) {
            State state = (State) in.readObject();
            if (state.epoch() != epoch) {
                throw new IllegalStateException(file + " holds epoch " + state.epoch() + ", not " + epoch);
            }
            return state;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mid-epoch checkpoint " + file, e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    void write(State state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(state);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        files().writeBytesAtomically(file(state.epoch()), bytes.toByteArray());
    }

    /** Removes epoch {@code epoch}'s state (driver side, around the epoch's stage). */
    void clear(int epoch) {
        HadoopFiles files = files();
        if (files.exists(file(epoch))) {
            files.delete(file(epoch));
        }
    }

    private HadoopFiles files() {
        return new HadoopFiles(hadoop.value().value());
    }
}
