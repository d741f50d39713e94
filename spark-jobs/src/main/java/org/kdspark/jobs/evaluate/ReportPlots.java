package org.kdspark.jobs.evaluate;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.kdspark.kd.eval.Metrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's figures as PNG images, drawn with XChart on a headless Java2D surface (no display, no browser):
 * training curves (loss and accuracy per epoch, every student on the same axes), a reliability diagram with each
 * model's expected calibration error, the confusion matrix of the distilled student, and teacher-student
 * agreement split by whether the teacher was right.
 *
 * <p>Rendering is a pure function of {@link Input}: the evaluate job gathers the figures and writes the bytes
 * wherever the run lives (any Hadoop file system), so this class never touches files.
 */
public final class ReportPlots {

    static {
        // must be set before the first AWT class initialises; a cluster node has no display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Size of every plot but the confusion matrix, in pixels. */
    public static final int WIDTH = 900;
    public static final int HEIGHT = 540;
    /** The confusion matrix is square-ish so that its cells stay readable with ten or more classes. */
    public static final int CONFUSION_SIZE = 860;
    /** Above this many classes a grid's cells are too small to read: the most frequent confusions are drawn instead. */
    public static final int MAX_GRID_CLASSES = 20;
    /** How many (true, predicted) pairs the confusions chart shows. */
    public static final int TOP_CONFUSIONS = 20;

    /** Calibration data of one model: its reliability bins and its ECE over the same bins. */
    public record Calibration(String model, Metrics.Reliability reliability, double ece) {
    }

    /** One student's agreement with the teacher and its own test accuracy. */
    public record StudentAgreement(String student, double accuracy, Metrics.TeacherAgreement agreement) {
    }

    /**
     * Everything the plots show.
     *
     * @param histories      per-epoch figures per student, in plotting order; students without a history are absent
     * @param calibration    teacher first, then the students
     * @param confusionModel the student whose confusion matrix is drawn (null: no confusion plot)
     * @param confusion      counts {@code [true][predicted]}
     * @param classes        class names, one per row of {@code confusion}
     * @param teacherAccuracy the teacher's test accuracy, drawn as a reference line
     * @param agreement      one entry per student
     */
    public record Input(Map<String, TrainingHistory> histories, List<Calibration> calibration, String confusionModel,
            long[][] confusion, List<String> classes, double teacherAccuracy, List<StudentAgreement> agreement) {
    }

    /** One rendered figure: the file name (relative to the plots folder), what it shows, and the PNG bytes. */
    public record Plot(String file, String title, int width, int height, byte[] png) {
    }

    private static final Color TEACHER = new Color(60, 60, 60);
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
        new Color(23, 190, 207)};

    private ReportPlots() {
    }

    /** Draws every plot the input has data for, in the order the report shows them. */
    public static List<Plot> render(Input in) {
        Map<String, Color> colors = colors(in);
        List<Plot> plots = new ArrayList<>();
        boolean anyLoss = in.histories().values().stream().anyMatch(h -> h.epochs().stream().anyMatch(e -> Double.isFinite(e.loss())));
        boolean anyAccuracy = in.histories().values().stream()
                .anyMatch(h -> h.epochs().stream().anyMatch(e -> Double.isFinite(e.testAccuracy()) || Double.isFinite(e.validationAccuracy())));
        if (anyLoss) {
            plots.add(png("training-loss.png", "Training loss per epoch", lossChart(in, colors)));
        }
        if (anyAccuracy) {
            plots.add(png("training-accuracy.png", "Accuracy per epoch", accuracyChart(in, colors)));
        }
        if (!in.calibration().isEmpty()) {
            plots.add(png("reliability.png", "Reliability diagram", reliabilityChart(in, colors)));
        }
        if (in.confusionModel() != null && in.confusion() != null && in.confusion().length <= MAX_GRID_CLASSES) {
            plots.add(png("confusion-" + in.confusionModel() + ".png", "Confusion matrix of the " + in.confusionModel() + " student",
                    confusionChart(in)));
        } else if (in.confusionModel() != null && in.confusion() != null) {
            plots.add(png("top-confusions-" + in.confusionModel() + ".png", "Most frequent confusions of the " + in.confusionModel()
                    + " student", topConfusionsChart(in)));
        }
        if (!in.agreement().isEmpty()) {
            plots.add(png("teacher-agreement.png", "Teacher-student agreement", agreementChart(in)));
        }
        return plots;
    }

    private static XYChart lossChart(Input in, Map<String, Color> colors) {
        XYChart chart = xy("Training loss per epoch (each student's own objective)", "epoch", "mean minibatch loss");
        for (Map.Entry<String, TrainingHistory> h : in.histories().entrySet()) {
            addEpochSeries(chart, h.getKey(), h.getValue(), TrainingHistory.Epoch::loss, colors.get(h.getKey()), false);
        }
        chart.getStyler().setXAxisDecimalPattern("0");
        return chart;
    }

    private static XYChart accuracyChart(Input in, Map<String, Color> colors) {
        XYChart chart = xy("Accuracy per epoch", "epoch", "accuracy (%)");
        double lastEpoch = 1;
        for (Map.Entry<String, TrainingHistory> h : in.histories().entrySet()) {
            addEpochSeries(chart, h.getKey() + " test", h.getValue(), e -> 100 * e.testAccuracy(), colors.get(h.getKey()), false);
            addEpochSeries(chart, h.getKey() + " validation", h.getValue(), e -> 100 * e.validationAccuracy(), colors.get(h.getKey()), true);
            for (TrainingHistory.Epoch e : h.getValue().epochs()) {
                lastEpoch = Math.max(lastEpoch, e.epoch());
            }
        }
        if (Double.isFinite(in.teacherAccuracy())) {
            XYSeries t = chart.addSeries(String.format(Locale.ROOT, "teacher (%.2f%%)", 100 * in.teacherAccuracy()),
                    new double[] {1, lastEpoch}, new double[] {100 * in.teacherAccuracy(), 100 * in.teacherAccuracy()});
            t.setMarker(SeriesMarkers.NONE);
            t.setLineColor(TEACHER);
            t.setLineStyle(dashed());
        }
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.0");
        return chart;
    }

    private static void addEpochSeries(XYChart chart, String name, TrainingHistory history,
            java.util.function.ToDoubleFunction<TrainingHistory.Epoch> value, Color color, boolean dashed) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (TrainingHistory.Epoch e : history.epochs()) {
            double v = value.applyAsDouble(e);
            if (Double.isFinite(v)) {
                x.add((double) e.epoch());
                y.add(v);
            }
        }
        if (x.isEmpty()) {
            return;
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(dashed ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
        if (dashed) {
            s.setLineStyle(dashed());
        }
    }

    private static XYChart reliabilityChart(Input in, Map<String, Color> colors) {
        int bins = in.calibration().get(0).reliability().counts().length;
        XYChart chart = xy("Reliability diagram (" + bins + " equal-width confidence bins; ECE in the legend)",
                "confidence (mean top-class probability in the bin)", "accuracy in the bin");
        XYSeries ideal = chart.addSeries("perfect calibration", new double[] {0, 1}, new double[] {0, 1});
        ideal.setMarker(SeriesMarkers.NONE);
        ideal.setLineColor(Color.GRAY);
        ideal.setLineStyle(dashed());
        for (Calibration c : in.calibration()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            Metrics.Reliability r = c.reliability();
            for (int b = 0; b < r.counts().length; b++) {
                if (r.counts()[b] > 0) {
                    x.add(r.confidence()[b]);
                    y.add(r.accuracy()[b]);
                }
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s (ECE %.4f)", c.model(), c.ece()), x, y);
            Color color = colors.getOrDefault(c.model(), TEACHER);
            s.setLineColor(color);
            s.setMarkerColor(color);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        return chart;
    }

    private static HeatMapChart confusionChart(Input in) {
        long[][] m = in.confusion();
        int k = m.length;
        List<String> names = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            names.add(name(in, c));
        }
        long total = 0;
        long diagonal = 0;
        long max = 1;
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                total += m[t][p];
                max = Math.max(max, m[t][p]);
            }
            diagonal += m[t][t];
        }
        // rows from the top in class order: XChart draws the first y category at the bottom
        List<String> rows = new ArrayList<>(names);
        java.util.Collections.reverse(rows);
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                cells.add(new Number[] {p, k - 1 - t, m[t][p]});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(CONFUSION_SIZE).height(CONFUSION_SIZE)
                .title(String.format(Locale.ROOT, "Confusion matrix of the %s student (%,d test images, %.2f%% on the diagonal)",
                        in.confusionModel(), total, total == 0 ? 0 : 100.0 * diagonal / total))
                .xAxisTitle("predicted class").yAxisTitle("true class").build();
        chart.addSeries("test images", names, rows, cells);
        chart.getStyler().setShowValue(true).setMin(0).setMax(max)
                .setRangeColors(new Color[] {Color.WHITE, new Color(158, 202, 225), new Color(49, 130, 189)})
                .setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, k > 12 ? 9 : 12)).setValueFontColor(Color.BLACK)
                .setHeatMapValueDecimalPattern("#,##0");
        chart.getStyler().setXAxisLabelRotation(35);
        chart.getStyler().setLegendVisible(false);
        common(chart.getStyler());
        return chart;
    }

    /** One off-diagonal cell of a confusion matrix. */
    record Confusion(int trueClass, int predicted, long count, long ofTrueClass) {
    }

    /** The {@code n} largest off-diagonal cells, largest first (ties: lower true class, then lower predicted class). */
    static List<Confusion> topConfusions(long[][] m, int n) {
        List<Confusion> all = new ArrayList<>();
        for (int t = 0; t < m.length; t++) {
            long row = 0;
            for (long v : m[t]) {
                row += v;
            }
            for (int p = 0; p < m.length; p++) {
                if (p != t && m[t][p] > 0) {
                    all.add(new Confusion(t, p, m[t][p], row));
                }
            }
        }
        all.sort(java.util.Comparator.comparingLong(Confusion::count).reversed().thenComparingInt(Confusion::trueClass)
                .thenComparingInt(Confusion::predicted));
        return all.subList(0, Math.min(n, all.size()));
    }

    private static CategoryChart topConfusionsChart(Input in) {
        long[][] m = in.confusion();
        long total = 0;
        long diagonal = 0;
        for (int t = 0; t < m.length; t++) {
            for (int p = 0; p < m.length; p++) {
                total += m[t][p];
            }
            diagonal += m[t][t];
        }
        List<Confusion> top = topConfusions(m, TOP_CONFUSIONS);
        List<String> pairs = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        for (Confusion c : top) {
            pairs.add(name(in, c.trueClass()) + " -> " + name(in, c.predicted()));
            shares.add(100.0 * c.count() / Math.max(1, c.ofTrueClass()));
        }
        if (pairs.isEmpty()) {
            pairs.add("(no mistakes)");
            shares.add(0.0);
        }
        long mistakes = total - diagonal;
        long shown = top.stream().mapToLong(Confusion::count).sum();
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(CONFUSION_SIZE)
                .title(String.format(Locale.ROOT, "Most frequent confusions of the %s student (%d classes, %,d test images, %.2f%% right)",
                        in.confusionModel(), m.length, total, total == 0 ? 0 : 100.0 * diagonal / total))
                .xAxisTitle(String.format(Locale.ROOT, "true class -> predicted class: the %d most frequent pairs, %,d of the %,d mistakes",
                        top.size(), shown, mistakes))
                .yAxisTitle("% of the true class's test images").build();
        chart.addSeries("share of the true class", pairs, shares);
        chart.getStyler().setXAxisLabelRotation(60).setYAxisMin(0.0).setYAxisDecimalPattern("0.0");
        chart.getStyler().setLabelsVisible(true).setLabelsRotation(0);
        chart.getStyler().setLegendVisible(false).setSeriesColors(new Color[] {PALETTE[1]});
        common(chart.getStyler());
        return chart;
    }

    private static String name(Input in, int c) {
        return c < in.classes().size() ? in.classes().get(c) : Integer.toString(c);
    }

    private static CategoryChart agreementChart(Input in) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Teacher-student agreement on the test set (same top-1 class as the teacher)")
                .xAxisTitle("student").yAxisTitle("%").build();
        List<String> students = new ArrayList<>();
        List<Double> accuracy = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        List<Double> right = new ArrayList<>();
        List<Double> wrong = new ArrayList<>();
        Metrics.TeacherAgreement first = in.agreement().get(0).agreement();
        for (StudentAgreement a : in.agreement()) {
            students.add(a.student());
            accuracy.add(100 * a.accuracy());
            all.add(100 * a.agreement().all());
            right.add(percentOrZero(a.agreement().whenTeacherRight()));
            wrong.add(percentOrZero(a.agreement().whenTeacherWrong()));
        }
        chart.addSeries("test accuracy", students, accuracy);
        chart.addSeries("agreement: all", students, all);
        chart.addSeries(String.format(Locale.ROOT, "agreement: teacher right (%,d images)", first.teacherRight()), students, right);
        chart.addSeries(String.format(Locale.ROOT, "agreement: teacher wrong (%,d images)", first.teacherWrong()), students, wrong);
        // bar labels use the y-axis pattern: one decimal, so that a 0.3-point gap between students shows
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setYAxisDecimalPattern("0.0");
        chart.getStyler().setLabelsVisible(true).setLabelsRotation(0).setLabelsPosition(0.93);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setSeriesColors(new Color[] {TEACHER, PALETTE[0], PALETTE[2], PALETTE[3]});
        common(chart.getStyler());
        return chart;
    }

    private static double percentOrZero(double fraction) {
        return Double.isFinite(fraction) ? 100 * fraction : 0;
    }

    private static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        common(chart.getStyler());
        return chart;
    }

    private static void common(Styler styler) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setAntiAlias(true);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    }

    private static BasicStroke dashed() {
        return new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    }

    /** Teacher dark gray; baseline and kd keep the same colour in every plot; other students follow the palette. */
    private static Map<String, Color> colors(Input in) {
        Map<String, Color> colors = new LinkedHashMap<>();
        colors.put("teacher", TEACHER);
        List<String> names = new ArrayList<>(in.histories().keySet());
        in.calibration().forEach(c -> names.add(c.model()));
        in.agreement().forEach(a -> names.add(a.student()));
        int next = 2;
        for (String n : names) {
            if (colors.containsKey(n)) {
                continue;
            }
            colors.put(n, n.equals("baseline") ? PALETTE[0] : n.equals("kd") ? PALETTE[1] : PALETTE[next++ % PALETTE.length]);
        }
        return colors;
    }

    private static Plot png(String file, String title, Chart<?, ?> chart) {
        try {
            return new Plot(file, title, chart.getWidth(), chart.getHeight(), BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + file + " as PNG", e);
        }
    }
}
