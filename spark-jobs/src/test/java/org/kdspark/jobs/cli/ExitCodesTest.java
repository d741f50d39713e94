package org.kdspark.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.ChildJvm;
import org.kdspark.jobs.GeneratedImages;
import org.kdspark.jobs.Tiers;
import org.kdspark.kd.model.ModelFiles;
import org.kdspark.kd.provenance.Provenance;
import org.nd4j.linalg.activations.Activation;

/**
 * The command line's exit codes, from a JVM of its own as a user runs it: 2 and the message alone for input that
 * cannot be used, 1 and the message alone for a job that fails for a reason it states (here a model with a layer that
 * has no ONNX form), and no stack trace for either.
 */
@Tag(Tiers.SLOW)
class ExitCodesTest {

    @TempDir
    Path dir;

    @Test
    void aModelThatDoesNotExportFailsWithCodeOneAndAMissingModelWithCodeTwo() throws Exception {
        Path images = dir.resolve("images");
        GeneratedImages.write(images, 4, 6, 16, true, 3);
        // Upsampling2D has no ONNX conversion
        ComputationGraph odd = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("input")
                .addLayer("up", new Upsampling2D.Builder(2).build(), "input")
                .addLayer("logits", new DenseLayer.Builder().nOut(4).activation(Activation.IDENTITY).build(), "up")
                .addLayer("output", new LossLayer.Builder().build(), "logits")
                .setOutputs("output")
                .setInputTypes(InputType.convolutional(16, 16, 3)).build());
        odd.init();
        Path zip = dir.resolve("odd.zip");
        Files.write(zip, ModelFiles.toZip(odd, Provenance.of("teacher", 1, "test"), false));
        String run = dir.resolve("run").toUri().toString();
        List<String> common = List.of("--output", run, "--master", "local[1]", "--set", "dataset.format=folder", "--set",
                "dataset.path=" + images.toUri(), "--set", "dataset.height=16", "--set", "dataset.width=16", "--set", "dataset.channels=3",
                "--set", "dataset.partitions=1");
        List<String> args = new ArrayList<>(List.of("ingest"));
        args.addAll(common);
        args.addAll(List.of(Sequence.THEN, "export", "--format", "onnx", "--model", zip.toString(), "--out", dir.resolve("odd.onnx").toString()));
        args.addAll(common);
        args.addAll(List.of(Sequence.THEN, "export", "--format", "onnx", "--model", dir.resolve("nosuch.zip").toString()));
        args.addAll(common);

        Path log = dir.resolve("child.log");
        assertEquals(0, ChildJvm.await(ChildJvm.start(Sequence.class, args, log), 300), Files.readString(log));
        List<String> lines = Files.readAllLines(log);
        String codes = lines.stream().filter(l -> l.startsWith(Sequence.CODE)).reduce("", (a, b) -> a + b.substring(Sequence.CODE.length()));
        assertEquals("012", codes, String.join("\n", lines));
        String text = String.join("\n", lines);
        assertTrue(text.contains("kd export failed: ") && text.contains("'up'"), text);
        assertTrue(text.contains("kd export: ") && text.contains("nosuch.zip"), text);
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("\tat ")), "no stack trace: " + text);
        assertFalse(Files.exists(dir.resolve("odd.onnx")));
    }

    /** Runs {@link KdCli#execute} once per group of arguments (groups separated by {@value #THEN}), printing each exit code. */
    public static final class Sequence {
        static final String THEN = "--then";
        static final String CODE = "exit code: ";

        private Sequence() {
        }

        public static void main(String[] args) {
            List<String> group = new ArrayList<>();
            for (String a : args) {
                if (a.equals(THEN)) {
                    System.out.println(CODE + KdCli.execute(group.toArray(String[]::new)));
                    group.clear();
                } else {
                    group.add(a);
                }
            }
            System.out.println(CODE + KdCli.execute(group.toArray(String[]::new)));
            System.exit(0);
        }
    }
}
