package org.kdspark.kd.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.kdspark.kd.provenance.Provenance;

/**
 * DL4J model zips as bytes, with the model's provenance as an extra zip entry ({@value #PROVENANCE_ENTRY})
 * that DL4J's own loader ignores. Bytes rather than files so that callers can put them on any Hadoop file
 * system or in a Spark broadcast.
 */
public final class ModelFiles {

    public static final String PROVENANCE_ENTRY = "kd-provenance.json";

    private ModelFiles() {
    }

    /** The DL4J zip of {@code graph} (with updater state when {@code withUpdater}) plus its provenance. */
    public static byte[] toZip(ComputationGraph graph, Provenance provenance, boolean withUpdater) {
        try {
            ByteArrayOutputStream model = new ByteArrayOutputStream();
            ModelSerializer.writeModel(graph, model, withUpdater);
            ByteArrayOutputStream out = new ByteArrayOutputStream(model.size() + 4096);
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(model.toByteArray()));
                    ZipOutputStream zip = new ZipOutputStream(out)) {
                for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                    zip.putNextEntry(new ZipEntry(e.getName()));
                    in.transferTo(zip);
                    zip.closeEntry();
                }
                zip.putNextEntry(new ZipEntry(PROVENANCE_ENTRY));
                zip.write(provenance.toJson().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise model", e);
        }
    }

    public static ComputationGraph graphFromZip(byte[] zip, boolean loadUpdater) {
        NativeHelpers.enable();
        try {
            return ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(zip), loadUpdater);
        } catch (IOException e) {
            throw new UncheckedIOException("not a DL4J ComputationGraph zip: " + e.getMessage(), e);
        }
    }

    /** The provenance stored in a model zip, or null when the zip has none (a model from elsewhere). */
    public static Provenance provenanceFromZip(byte[] zip) {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals(PROVENANCE_ENTRY)) {
                    return Provenance.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("not a zip: " + e.getMessage(), e);
        }
    }
}
