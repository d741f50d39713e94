package org.kdspark.jobs.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.export.NotebookExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kd export}: writes OUTPUT/export/ for the notebooks (CSV soft labels, raw-pixel thumbnails, export.json). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write OUTPUT/export/ for the notebooks: soft_labels.csv, thumbnails_SPLIT.bin/.json and export.json (no Parquet reader needed).")
final class ExportCommand implements Callable<Integer> {

    @Mixin
    CommonOptions options;

    @Option(names = "--thumbnails", paramLabel = "N", defaultValue = "256",
            description = "Images copied per split, 0 to " + NotebookExport.MAX_THUMBNAILS_PER_SPLIT + " (default: ${DEFAULT-VALUE}).")
    int thumbnails;

    @Override
    public Integer call() {
        KdConfig config = options.load();
        return Runs.withSpark(config, "export", (spark, layout) -> {
            NotebookExport.Result r = NotebookExport.run(spark, layout, thumbnails);
            System.out.printf(Locale.ROOT, "export: %d soft-label rows, %d classes, thumbnails %s, %,d bytes, %.1f s -> %s%n", r.rows(),
                    r.numClasses(), r.thumbnails(), r.bytes(), r.seconds(), r.directory());
            return 0;
        });
    }
}
