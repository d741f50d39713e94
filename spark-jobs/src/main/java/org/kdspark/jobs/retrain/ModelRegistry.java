package org.kdspark.jobs.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Optional;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.error.JobFailedException;
import org.kdspark.kd.provenance.Provenance;

/**
 * A versioned model registry on any Hadoop file system (s3a:// included), for one model:
 *
 * <pre>
 * REGISTRY/MODEL/current.json              which version is in production: replaced in one atomic step
 * REGISTRY/MODEL/holdout/                  the frozen held-out images every candidate is judged on (Parquet)
 * REGISTRY/MODEL/versions/v0001/           model.zip, model.onnx, provenance.json, history.json, and
 *                                          retrain.json (the decision and its figures), written last
 * </pre>
 *
 * Every candidate gets a version, promoted or not, so the history of decisions stays; only a promotion moves
 * {@code current.json}. A run that fails before the switch leaves it untouched.
 */
public final class ModelRegistry {

    /** What {@code current.json} says: the production version and its held-out accuracy when it was promoted. */
    public record Current(
            @JsonProperty("version") String version,
            @JsonProperty("holdout_accuracy") double holdoutAccuracy,
            @JsonProperty("promoted_at") String promotedAt) {
    }

    static final String CURRENT = "current.json";
    static final String DECISION = "retrain.json";

    private final HadoopFiles files;
    private final String root;

    /** The registry entry of {@code model} under {@code registry}. */
    public ModelRegistry(HadoopFiles files, String registry, String model) {
        this.files = files;
        this.root = (registry.endsWith("/") ? registry.substring(0, registry.length() - 1) : registry) + "/" + model;
    }

    public String root() {
        return root;
    }

    public String holdout() {
        return root + "/holdout";
    }

    public String versionDir(String version) {
        return root + "/versions/" + version;
    }

    public String model(String version) {
        return versionDir(version) + "/model.zip";
    }

    public String decision(String version) {
        return versionDir(version) + "/" + DECISION;
    }

    /** The production version, if one was ever promoted. */
    public Optional<Current> current() {
        String uri = root + "/" + CURRENT;
        if (!files.exists(uri)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Provenance.json().readValue(files.readString(uri), Current.class));
        } catch (JsonProcessingException e) {
            throw new JobFailedException("cannot parse " + uri + ": " + e.getOriginalMessage() + "; restore it from a version's "
                    + DECISION + " or delete it to promote the next candidate unconditionally", e);
        }
    }

    /** The next version name, {@code v0001} for an empty registry; a version dir without its decision counts too. */
    public String nextVersion() {
        int last = files.directories(root + "/versions").stream()
                .filter(d -> d.matches("v\\d+"))
                .mapToInt(d -> Integer.parseInt(d.substring(1)))
                .max().orElse(0);
        return String.format("v%04d", last + 1);
    }

    /** Makes {@code current} the production version: one atomic replacement of {@code current.json}. */
    public void promote(Current current) {
        if (!files.exists(decision(current.version()))) {
            throw new JobFailedException("version " + current.version() + " has no " + DECISION + ": it is incomplete and cannot be promoted");
        }
        try {
            files.writeStringAtomically(root + "/" + CURRENT, Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(current));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
