package org.kdspark.jobs.layout;

/**
 * Where each artifact of a run lives under the output directory (any Hadoop URI): one place, so that every job agrees
 * (docs/store.md describes each).
 *
 * <pre>
 * OUTPUT/images/                      image table (Parquet) + _provenance.json
 * OUTPUT/images-rejects/              inputs that could not be used, with the reason
 * OUTPUT/teacher/model.zip            DL4J teacher (provenance inside the zip and beside it, provenance.json)
 * OUTPUT/teacher/labelling.onnx       its verified ONNX export, kept for labelling with ONNX Runtime
 * OUTPUT/teacher/seed-S/              further ensemble teachers (teacher.ensemble_seeds), laid out alike
 * OUTPUT/soft-labels/                 soft-label store: _store.json + teacher=SHA12_KEY8/batch=NNNNN/ (each with _provenance.json)
 * OUTPUT/students/NAME/               model.zip, model.onnx, provenance.json, history.json, checkpoints/
 * OUTPUT/report.json, OUTPUT/report.md
 * OUTPUT/plots/*.png                  the report's figures, embedded in report.md
 * OUTPUT/export/                      soft labels and thumbnails for the notebooks
 * OUTPUT/registry/                    the model registry of kd retrain, unless retrain.registry names another
 * </pre>
 */
public record RunLayout(String root) {

    public RunLayout {
        root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    public String images() {
        return root + "/images";
    }

    public String imageRejects() {
        return root + "/images-rejects";
    }

    public String teacherDir() {
        return root + "/teacher";
    }

    public String teacherModel() {
        return teacherDir() + "/model.zip";
    }

    /** The folder of the ensemble teacher trained with {@code seed} ({@code teacher.ensemble_seeds}). */
    public String teacherMemberDir(long seed) {
        return teacherDir() + "/seed-" + seed;
    }

    public String teacherMemberModel(long seed) {
        return teacherMemberDir(seed) + "/model.zip";
    }

    public String softLabels() {
        return root + "/soft-labels";
    }

    public String studentDir(String name) {
        return root + "/students/" + name;
    }

    public String studentModel(String name) {
        return studentDir(name) + "/model.zip";
    }

    public String reportJson() {
        return root + "/report.json";
    }

    public String reportMarkdown() {
        return root + "/report.md";
    }

    /** Folder of the report's PNG plots; report.md links them relative to the root as {@code plots/FILE}. */
    public String plots() {
        return root + "/" + PLOTS;
    }

    /** Name of the plots folder under the root, as report.md refers to it. */
    public static final String PLOTS = "plots";
}
