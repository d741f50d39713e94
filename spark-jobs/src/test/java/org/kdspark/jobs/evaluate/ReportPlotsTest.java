package org.kdspark.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kdspark.jobs.layout.RunLayout;
import org.kdspark.jobs.spark.HadoopFiles;
import org.kdspark.kd.eval.ScoreSums;
import org.kdspark.kd.provenance.Provenance;

/**
 * The report's plots drawn from generated scores: every PNG decodes at its stated size and is not blank,
 * report.md embeds each one by a path that exists, and report.json lists them. No Spark: the plots and the
 * report are pure functions of the figures.
 */
class ReportPlotsTest {

    private static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat");
    private static final int N = 400;

    @Test
    void evaluationWritesEveryPlotAsADecodablePngThatReportMdEmbeds(@TempDir Path dir) throws IOException {
        HadoopFiles files = new HadoopFiles(new Configuration());
        RunLayout layout = new RunLayout(dir.toUri().toString());
        Random random = new Random(7);
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = random.nextInt(CLASSES.size());
        }
        float[] teacher = logits(labels, 0.9, 4f, random);
        Map<String, ScoreSums> students = new LinkedHashMap<>();
        students.put("baseline", ScoreSums.of(CLASSES.size()).add(logits(labels, 0.8, 2f, random), labels, teacher));
        students.put("kd", ScoreSums.of(CLASSES.size()).add(logits(labels, 0.85, 3f, random), labels, teacher));
        // histories as the distill job writes them, one with a field the report does not know and one without test accuracy
        files.writeString(layout.studentDir("baseline") + "/history.json",
                "[{\"epoch\":1,\"loss\":0.9,\"test_accuracy\":0.7,\"examples_per_s\":900,\"seconds\":3.1,\"lr\":0.01},"
                + "{\"epoch\":2,\"loss\":0.6,\"test_accuracy\":0.78,\"examples_per_s\":950,\"seconds\":3.0,\"lr\":0.01}]");
        files.writeString(layout.studentDir("kd") + "/history.json",
                "[{\"epoch\":1,\"loss\":1.4,\"test_accuracy\":0.72,\"validation_accuracy\":0.71},{\"epoch\":2,\"loss\":1.1,"
                + "\"test_accuracy\":0.81,\"validation_accuracy\":0.8},{\"epoch\":3,\"loss\":1.0}]");
        Files.createDirectories(dir.resolve("plots"));
        Files.writeString(dir.resolve("plots/stale.png"), "from an earlier evaluation");

        ScoreSums teacherScores = ScoreSums.of(CLASSES.size()).add(teacher, labels, null);
        ReportPlots.Input input = EvaluateJob.plotInput(files, layout, teacherScores, students, CLASSES);
        EvaluateJob.PlotsWritten written = EvaluateJob.writePlots(files, layout, input);

        assertNull(written.error());
        List<String> expected = List.of("plots/training-loss.png", "plots/training-accuracy.png", "plots/reliability.png",
                "plots/confusion-kd.png", "plots/teacher-agreement.png");
        assertEquals(expected, written.figures().stream().map(Report.Figure::path).toList());
        assertFalse(Files.exists(dir.resolve("plots/stale.png")), "plots of an earlier evaluation are replaced");
        for (Report.Figure f : written.figures()) {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(dir.resolve(f.path()))));
            assertNotNull(image, f.path() + " decodes as an image");
            assertEquals(f.width(), image.getWidth(), f.path());
            assertEquals(f.height(), image.getHeight(), f.path());
            int expectedWidth = f.path().contains("confusion") ? ReportPlots.CONFUSION_SIZE : ReportPlots.WIDTH;
            assertEquals(expectedWidth, image.getWidth(), f.path());
            assertTrue(distinctColours(image) > 20, f.path() + " has content, not a blank canvas");
        }

        Report.Content content = content(written);
        String md = Report.markdown(content);
        for (String path : expected) {
            assertTrue(md.contains("](" + path + ")"), "report.md embeds " + path);
            assertTrue(Files.exists(dir.resolve(path)), path + " exists where report.md points");
        }
        JsonNode json = Provenance.json().readTree(Report.json(content));
        assertEquals(expected.size(), json.path("plots").size());
        assertEquals("plots/reliability.png", json.at("/plots/2/path").asText());
        double wrong = json.at("/students/kd/teacher_agreement_where_teacher_wrong").asDouble();
        assertTrue(wrong >= 0 && wrong <= 1, "agreement where the teacher is wrong: " + wrong);
    }

    @Test
    void aReportWithoutPlotsSaysWhy() {
        Report.Content content = content(new EvaluateJob.PlotsWritten(List.of(), "AWTError: no fonts"));
        String md = Report.markdown(content);
        assertTrue(md.contains("The plots could not be drawn: AWTError: no fonts"));
        assertFalse(md.contains("!["));
    }

    @Test
    void withManyClassesTheConfusionPlotShowsTheMostFrequentConfusions() throws IOException {
        int k = 100;
        List<String> classes = new java.util.ArrayList<>();
        for (int c = 0; c < k; c++) {
            classes.add(String.format("%02d_class", c));
        }
        long[][] m = new long[k][k];
        for (int t = 0; t < k; t++) {
            m[t][t] = 50;
            m[t][(t + 1) % k] = t % 7; // 0..6 mistakes per class
        }
        m[42][17] = 30;
        m[3][4] = 30; // ties break by true class
        List<ReportPlots.Confusion> top = ReportPlots.topConfusions(m, 5);
        assertEquals(List.of("3->4", "42->17", "6->7", "13->14", "20->21"),
                top.stream().map(c -> c.trueClass() + "->" + c.predicted()).toList());
        assertEquals(50 + 30, top.get(0).ofTrueClass(), "the true class's images, for the share");

        ReportPlots.Input input = new ReportPlots.Input(Map.of(), List.of(), "kd", m, classes, 0.5, List.of());
        List<ReportPlots.Plot> plots = ReportPlots.render(input);
        assertEquals(List.of("top-confusions-kd.png"), plots.stream().map(ReportPlots.Plot::file).toList(), "no 100x100 grid");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(plots.get(0).png()));
        assertEquals(ReportPlots.WIDTH, image.getWidth());
        assertEquals(ReportPlots.CONFUSION_SIZE, image.getHeight());
        assertTrue(distinctColours(image) > 20);
        ReportPlots.Input ten = new ReportPlots.Input(Map.of(), List.of(), "kd", new long[10][10], classes.subList(0, 10), 0.5, List.of());
        assertEquals(List.of("confusion-kd.png"), ReportPlots.render(ten).stream().map(ReportPlots.Plot::file).toList());
    }

    @Test
    void historyReaderKeepsKnownFieldsAndToleratesOthers() {
        TrainingHistory h = TrainingHistory.parse("[{\"epoch\":3,\"loss\":0.5,\"test_accuracy\":0.9,\"terms\":{\"kd\":0.2}},"
                + "{\"loss\":0.4}]", "history.json");
        assertEquals(2, h.epochs().size());
        assertEquals(3, h.epochs().get(0).epoch());
        assertEquals(0.9, h.epochs().get(0).testAccuracy());
        assertTrue(Double.isNaN(h.epochs().get(0).validationAccuracy()));
        assertEquals(2, h.epochs().get(1).epoch(), "an epoch without a number takes its position");
        assertTrue(Double.isNaN(h.epochs().get(1).testAccuracy()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingHistory.parse("{\"epoch\":1}", "students/kd/history.json"));
        assertTrue(e.getMessage().contains("students/kd/history.json"), e.getMessage());
    }

    /** Logits whose argmax is the label with probability {@code accuracy}, with margin {@code confidence}. */
    private static float[] logits(int[] labels, double accuracy, float confidence, Random random) {
        int k = CLASSES.size();
        float[] out = new float[labels.length * k];
        for (int i = 0; i < labels.length; i++) {
            int top = random.nextDouble() < accuracy ? labels[i] : (labels[i] + 1 + random.nextInt(k - 1)) % k;
            for (int c = 0; c < k; c++) {
                out[i * k + c] = (float) random.nextGaussian() * 0.5f + (c == top ? confidence * (float) (0.5 + random.nextDouble()) : 0f);
            }
        }
        return out;
    }

    private static Report.Content content(EvaluateJob.PlotsWritten plots) {
        Map<String, Report.Student> students = new LinkedHashMap<>();
        students.put("kd", new Report.Student("kd", "kd", 0.85, 1000, 60, 50, 900, 0.4, 0.02, 0.9, 0.1, 0.95, 0.4));
        return new Report.Content("generated", N, N, 0.9, 10_000, 100, false, 0.3, 0.01, null, 2 * N, 100, 5, students, Map.of(), 300,
                Map.of("version", "test"), plots.figures(), plots.error());
    }

    private static int distinctColours(BufferedImage image) {
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
