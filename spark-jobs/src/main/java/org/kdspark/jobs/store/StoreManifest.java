package org.kdspark.jobs.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.provenance.Provenance;

/**
 * {@code _store.json}, the soft-label store's table of contents: its versions (one per teacher and signal spec), the
 * committed batches of each, and which version is current. A batch exists for readers only once it is listed here;
 * the file is replaced atomically after Spark has committed the batch, so a job killed midway leaves nothing visible.
 *
 * <pre>{@code
 * {"kind": "soft-label-store", "schema_version": 2, "current": "teacher=3f2a9c0d41b7_1c9e04aa",
 *  "versions": {"teacher=3f2a9c0d41b7_1c9e04aa": {"teacher_sha256": "3f2a...", "signals_key": "1c9e04aa...",
 *      "batches": [{"name": "batch=00001", "rows": 70000, "train": 60000, "test": 10000, "bytes": 304290000,
 *          "seconds": 39.6, "created": "2026-..."}]}}}
 * }</pre>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoreManifest(
        @JsonProperty("kind") String kind,
        @JsonProperty("schema_version") int schemaVersion,
        @JsonProperty("current") String current,
        @JsonProperty("versions") Map<String, VersionEntry> versions) {

    public static final String FILE = "_store.json";

    public StoreManifest {
        versions = versions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(versions);
    }

    /** One version: what labelled it and its committed batches, oldest first. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VersionEntry(
            @JsonProperty("teacher_sha256") String teacherSha256,
            @JsonProperty("signals_key") String signalsKey,
            @JsonProperty("batches") List<Batch> batches) {

        public VersionEntry {
            batches = batches == null ? List.of() : List.copyOf(batches);
        }

        public long rows() {
            return batches.stream().mapToLong(Batch::rows).sum();
        }

        public long train() {
            return batches.stream().mapToLong(Batch::train).sum();
        }

        public long test() {
            return batches.stream().mapToLong(Batch::test).sum();
        }

        public long bytes() {
            return batches.stream().mapToLong(Batch::bytes).sum();
        }

        /** Teacher time over all batches. */
        public double seconds() {
            return batches.stream().mapToDouble(Batch::seconds).sum();
        }

        public double bytesPerRow() {
            return bytes() / (double) Math.max(rows(), 1);
        }
    }

    /**
     * A committed batch: its directory under the version, its row counts, its Parquet bytes, how long the run that
     * wrote it took and when it was committed.
     */
    public record Batch(
            @JsonProperty("name") String name,
            @JsonProperty("rows") long rows,
            @JsonProperty("train") long train,
            @JsonProperty("test") long test,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("created") String created) {
    }

    public static StoreManifest empty() {
        return new StoreManifest(SoftLabelStore.KIND, SoftLabelStore.SCHEMA_VERSION, null, Map.of());
    }

    /** The manifest of the store at {@code root}, or {@code null} when there is none. */
    public static StoreManifest read(HadoopFiles files, String root) {
        String uri = root + "/" + FILE;
        if (!files.exists(uri)) {
            return null;
        }
        try {
            StoreManifest m = Provenance.json().readValue(files.readString(uri), StoreManifest.class);
            if (!SoftLabelStore.KIND.equals(m.kind()) || m.schemaVersion() != SoftLabelStore.SCHEMA_VERSION) {
                throw new Provenance.IncompatibleArtifactException(uri + " is a " + m.kind() + " of schema version " + m.schemaVersion()
                        + ", this build reads " + SoftLabelStore.KIND + " version " + SoftLabelStore.SCHEMA_VERSION
                        + ": re-run 'kd soft-labels' with a new output, or use the build that wrote it");
            }
            return m;
        } catch (JsonProcessingException e) {
            throw new Provenance.IncompatibleArtifactException("cannot parse " + uri + ": " + e.getOriginalMessage());
        }
    }

    /** Replaces the manifest of the store at {@code root} in one atomic step. */
    public void write(HadoopFiles files, String root) {
        try {
            files.writeStringAtomically(root + "/" + FILE, Provenance.json().writerWithDefaultPrettyPrinter().writeValueAsString(this));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This manifest with {@code batch} appended to {@code version} (created if new), which becomes current. */
    public StoreManifest withBatch(String version, String teacherSha256, String signalsKey, Batch batch) {
        Map<String, VersionEntry> v = new LinkedHashMap<>(versions);
        VersionEntry old = v.get(version);
        List<Batch> batches = new ArrayList<>(old == null ? List.of() : old.batches());
        batches.add(batch);
        v.put(version, new VersionEntry(teacherSha256, signalsKey, batches));
        return new StoreManifest(kind, schemaVersion, version, v);
    }

    /** This manifest with {@code version} (which must exist) as the current one. */
    public StoreManifest withCurrent(String version) {
        if (!versions.containsKey(version)) {
            throw new UserInputException("no version " + version + " in the store: it has " + versions.keySet());
        }
        return new StoreManifest(kind, schemaVersion, version, versions);
    }

    public static String now() {
        return Instant.now().toString();
    }
}
