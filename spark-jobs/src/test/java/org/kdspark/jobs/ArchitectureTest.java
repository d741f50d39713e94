package org.kdspark.jobs;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The code's architecture, enforced (docs/extending.md draws it): the library {@code kd-dl4j} knows nothing of Spark,
 * Hadoop or Scala; the packages of each module form no cycle; and the Spark side is built in floors, each using only
 * the floors below it: run (config, layout, spark), Spark pieces (teacher, train, store, sources, onnx, models), jobs,
 * and the command line.
 */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.kdspark");

    @Test
    void theLibraryDependsOnNoSparkHadoopOrScalaClassAndNotOnTheJobs() {
        noClasses().that().resideInAPackage("org.kdspark.kd..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..", "scala..", "org.kdspark.jobs..")
                .check(CLASSES);
    }

    @Test
    void theSparkJobsPackagesFormNoCycle() {
        slices().matching("org.kdspark.jobs.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void theLibraryPackagesFormNoCycle() {
        slices().matching("org.kdspark.kd.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void eachFloorUsesOnlyTheFloorsBelowIt() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("entry").definedBy("org.kdspark.jobs.cli..")
                .layer("jobs").definedBy("org.kdspark.jobs.ingest..", "org.kdspark.jobs.trainteacher..", "org.kdspark.jobs.softlabels..",
                        "org.kdspark.jobs.distill..", "org.kdspark.jobs.evaluate..", "org.kdspark.jobs.retrain..", "org.kdspark.jobs.pipeline..",
                        "org.kdspark.jobs.bench..", "org.kdspark.jobs.export..", "org.kdspark.jobs.generate..")
                .layer("pieces").definedBy("org.kdspark.jobs.teacher..", "org.kdspark.jobs.train..", "org.kdspark.jobs.store..",
                        "org.kdspark.jobs.sources..", "org.kdspark.jobs.onnx..", "org.kdspark.jobs.models..")
                .layer("run").definedBy("org.kdspark.jobs.config..", "org.kdspark.jobs.layout..", "org.kdspark.jobs.spark..")
                .whereLayer("entry").mayNotBeAccessedByAnyLayer()
                .whereLayer("jobs").mayOnlyBeAccessedByLayers("entry")
                .whereLayer("pieces").mayOnlyBeAccessedByLayers("jobs", "entry")
                .check(CLASSES);
    }
}
