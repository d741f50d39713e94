package org.kdspark.jobs.pipeline;

/**
 * Where each artifact of a run lives under the output directory (any Hadoop URI). One place, so that every
 * job and the README agree.
 *
 * <pre>
 * OUTPUT/images/                      image table (Parquet) + _provenance.json
 * OUTPUT/images-rejects/              inputs that could not be decoded, with the reason
 * OUTPUT/teacher/model.zip            DL4J teacher (provenance inside the zip and beside it)
 * OUTPUT/teacher/provenance.json
 * OUTPUT/teacher/seed-S/model.zip     further ensemble teachers (teacher.ensemble_seeds), each with provenance.json
 * OUTPUT/soft-labels/                 soft-label store (Parquet) + _provenance.json
 * OUTPUT/students/NAME/model.zip      distilled or baseline student, with provenance.json and history.json
 * OUTPUT/students/NAME/model.onnx     the same student as verified ONNX (provenance in its metadata)
 * OUTPUT/report.json, OUTPUT/report.md
 * OUTPUT/plots/*.png                  the report's figures, embedded in report.md
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
