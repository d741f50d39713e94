package org.kdspark.jobs.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.jobs.store.ImageTable;
import org.kdspark.jobs.store.TableImages;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;
import org.kdspark.kd.model.GraphOutputs;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.onnx.OnnxExporter;
import org.kdspark.kd.onnx.OnnxVerificationException;
import org.kdspark.kd.onnx.UnsupportedModelException;
import org.kdspark.kd.onnx.VerifiedOnnxExport;
import org.kdspark.kd.provenance.Provenance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DL4J models of a run written as verified ONNX files: {@code kd export --format onnx}, and the {@code model.onnx}
 * the distill job leaves next to each student's {@code model.zip}.
 *
 * <p>Each file is checked on real images of the run's test split (the first {@value #VERIFY_IMAGES} by id): ONNX
 * Runtime must reproduce DL4J's outputs within 1e-4 with the same argmax, or no file is written and the error names
 * the layer and the difference. The file carries its provenance in {@code metadata_props}: {@code kd.provenance}
 * (kind {@value #KIND}, the source model and its SHA-256) and the verification figures ({@code kd.verified.*}).
 */
public final class OnnxModelExport {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxModelExport.class);

    public static final String KIND = "onnx-model";
    public static final int SCHEMA_VERSION = 1;
    /** Test images each export is verified on. */
    public static final int VERIFY_IMAGES = 256;
    /** The ONNX file next to a model zip. */
    public static final String FILE_NAME = "model.onnx";

    /** What an export wrote. */
    public record Result(String source, String file, long bytes, String sha256, List<String> outputs, double maxAbsDiff,
            int verifiedImages, double seconds) {
    }

    private OnnxModelExport() {
    }

    /**
     * {@code kd export --format onnx}: exports {@code model} ({@code teacher}, a student name under
     * {@code OUTPUT/students/}, or the path of a DL4J zip) to {@code out} (default: {@value #FILE_NAME} next to the
     * zip) with {@code logits} and {@code taps} as outputs, verified on the run's test images.
     */
    public static Result run(SparkSession spark, RunLayout layout, String model, String out, List<String> taps) {
        long start = System.nanoTime();
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        String zipUri = resolve(files, layout, model);
        String target = out != null ? files.qualify(out) : siblingOf(zipUri);
        if (!files.exists(layout.images())) {
            throw new UserInputException("no image table at " + layout.images() + " to verify the export on: run "
                    + "'kd ingest' for this --output first");
        }
        ImageTable.Opened table = ImageTable.open(spark, layout.images());
        LabeledImages sample = TableImages.collect(table.rows(), table.spec(), ImageTable.TEST, VERIFY_IMAGES).images();
        byte[] zip = files.readBytes(zipUri);
        ComputationGraph graph = ModelFiles.graphFromZip(zip, false);
        List<String> outputs = withLogits(taps);
        try {
            GraphOutputs.requireVertices(graph, outputs, "--taps");
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage(), e);
        }
        VerifiedOnnxExport.Result r = export(graph, zipUri, files.sha256(zipUri), ModelFiles.provenanceFromZip(zip), outputs, sample,
                "test split of " + layout.images());
        files.writeBytes(target, r.bytes());
        return new Result(zipUri, target, r.bytes().length, r.sha256(), r.outputs(), r.verification().maxAbsDiff(),
                r.verification().batchSize(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * Writes {@value #FILE_NAME} next to the student zip just saved at {@code zipUri}, verified on the first
     * {@value #VERIFY_IMAGES} of {@code test}. A student the exporter cannot reproduce keeps its zip: the problem is
     * printed as a warning and null is returned, since the DL4J model is the run's result.
     */
    public static Result nextToStudent(HadoopFiles files, String zipUri, ComputationGraph student, Provenance provenance,
            LabeledImages test) {
        long start = System.nanoTime();
        String target = siblingOf(zipUri);
        try {
            VerifiedOnnxExport.Result r = export(student, zipUri, files.sha256(zipUri), provenance, withLogits(List.of()),
                    test.head(VERIFY_IMAGES), "test split, first by id");
            files.writeBytes(target, r.bytes());
            return new Result(zipUri, target, r.bytes().length, r.sha256(), r.outputs(), r.verification().maxAbsDiff(),
                    r.verification().batchSize(), (System.nanoTime() - start) / 1e9);
        } catch (OnnxVerificationException | UnsupportedModelException e) {
            LOG.warn("no {}: the student does not export to ONNX: {}", target, e.getMessage());
            return null;
        }
    }

    /** Export and verification, with the provenance in the file. */
    public static VerifiedOnnxExport.Result export(ComputationGraph graph, String sourceUri, String sourceSha256, Provenance source,
            List<String> outputs, LabeledImages sample, String sampleSource) {
        Provenance p = Provenance.of(KIND, SCHEMA_VERSION, "export-onnx")
                .withInput("source", sourceUri)
                .withInput("source_sha256", sourceSha256)
                .withDetail("opset", OnnxExporter.OPSET)
                .withDetail("input_spec", sample.spec().toString())
                .withDetail("taps", outputs);
        if (source != null) {
            p = p.withDetail("source_kind", source.kind()).withDetail("source_created_at", source.createdAt());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("kd.provenance", p.toJson());
        // the input the graph takes, normalisation included: what a caller must feed it (InputSpec.parse reads it)
        metadata.put(INPUT_SPEC_METADATA, sample.spec().toString());
        return VerifiedOnnxExport.export(graph, sample.spec(), outputs, metadata,
                sample.spec().toInput(sample.pixels(), 0, sample.count()), sampleSource + ", " + sample.count() + " images");
    }

    /** The {@code metadata_props} key declaring the input an exported model takes ({@link InputSpec#toString()}). */
    public static final String INPUT_SPEC_METADATA = "kd.input_spec";

    /** {@code logits} first, then the other taps. */
    public static List<String> withLogits(List<String> taps) {
        List<String> all = new ArrayList<>(List.of(GraphOutputs.LOGITS));
        taps.stream().filter(t -> !t.equals(GraphOutputs.LOGITS)).forEach(all::add);
        return all;
    }

    private static String resolve(HadoopFiles files, RunLayout layout, String model) {
        if (model.equals("teacher")) {
            return requireFile(files, layout.teacherModel(), "the run has no teacher: run 'kd train-teacher' first (same --output)");
        }
        String student = model.startsWith("students/") ? model.substring("students/".length()) : model;
        if (!student.contains("/") && !student.endsWith(".zip") && files.exists(layout.studentModel(student))) {
            return layout.studentModel(student);
        }
        String uri = files.qualify(model);
        return requireFile(files, uri, "--model " + model + " is neither 'teacher', a student under " + layout.root()
                + "/students/, nor an existing DL4J model zip");
    }

    private static String requireFile(HadoopFiles files, String uri, String message) {
        if (!files.exists(uri)) {
            throw new UserInputException(message + " (looked for " + uri + ")");
        }
        return uri;
    }

    private static String siblingOf(String zipUri) {
        int slash = zipUri.lastIndexOf('/');
        return zipUri.substring(0, slash + 1) + FILE_NAME;
    }
}
