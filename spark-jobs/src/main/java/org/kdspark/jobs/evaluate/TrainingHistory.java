package org.kdspark.jobs.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Provenance;

/**
 * A student's per-epoch figures as the distill job writes them to {@code students/NAME/history.json}: a JSON
 * array of objects with {@code epoch}, {@code loss} and {@code test_accuracy} (and, if the trainer records them,
 * {@code validation_accuracy}). Other fields (examples/s, seconds, loss terms, ...) are ignored, so the report
 * keeps reading the file when the trainer adds to it; a missing figure reads as NaN and is left out of the plot.
 */
public record TrainingHistory(List<Epoch> epochs) {

    /** One epoch's figures; NaN where the file did not record the value. */
    public record Epoch(int epoch, double loss, double testAccuracy, double validationAccuracy) {
    }

    public TrainingHistory {
        epochs = List.copyOf(epochs);
    }

    /** Parses the content of a {@code history.json}; {@code where} names the file in the error. */
    public static TrainingHistory parse(String json, String where) {
        JsonNode root;
        try {
            root = Provenance.json().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + where + " (a student's per-epoch history): " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new UserInputException(where + " is not a JSON array of epochs; re-run 'kd distill' to rewrite it");
        }
        List<Epoch> epochs = new ArrayList<>();
        int position = 0;
        for (JsonNode e : root) {
            position++;
            int epoch = e.path("epoch").isNumber() ? e.path("epoch").asInt() : position;
            epochs.add(new Epoch(epoch, number(e, "loss"), number(e, "test_accuracy"), number(e, "validation_accuracy")));
        }
        return new TrainingHistory(epochs);
    }

    private static double number(JsonNode epoch, String field) {
        JsonNode v = epoch.path(field);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }
}
