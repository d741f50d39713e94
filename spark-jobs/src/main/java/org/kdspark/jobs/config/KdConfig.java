package org.kdspark.jobs.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.kdspark.jobs.store.SoftLabelStore;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.method.Objective;

/**
 * The typed configuration of every job, read from YAML (snake_case keys) by {@link ConfigLoader}.
 *
 * <p>This class is the one place where defaults live: a key left out of a YAML file takes the value written
 * here. Unknown keys and bad values are refused at start-up, before any Spark work, with the key's full
 * dotted name and the allowed values.
 */
public final class KdConfig {

    /** Where every artifact of a run goes (a Hadoop URI or a local path); {@code --output} overrides it. */
    public String output = "out/fashion-mnist";
    public Spark spark = new Spark();
    public Dataset dataset = new Dataset();
    public Teacher teacher = new Teacher();
    public SoftLabels softLabels = new SoftLabels();
    public Distill distill = new Distill();
    public Retrain retrain = new Retrain();

    /** Spark session settings. */
    public static final class Spark {
        /** Master URL; when null, {@code spark.master} from spark-submit wins, else {@code local[*]}. */
        public String master;
        public String appName = "kd";
        /** Extra Spark properties, e.g. {@code spark.sql.shuffle.partitions: "8"}. */
        public Map<String, String> conf = new LinkedHashMap<>();
    }

    /** The image set to ingest. */
    public static final class Dataset {
        public static final Set<String> FORMATS = Set.of("idx", "folder", "manifest");

        /** Free-form name, reported in provenance and report.json. */
        public String name = "fashion-mnist";
        /** {@code idx} (MNIST-style IDX gz files) or {@code folder} (class-per-subfolder PNG/JPEG). */
        public String format = "idx";
        public String path = "file:///usr/share/datasets/fashion-mnist";
        /** Keep only the first N training images; 0 keeps all. */
        public int trainLimit = 0;
        /** Keep only the first N test images; 0 keeps all. */
        public int testLimit = 0;
        /** For {@code folder} without train/test subfolders: the fraction of images put in the test split. */
        public double testFraction = 0.2;
        /** Image size and channels images are converted to for {@code folder} input. */
        public int channels = 1;
        public int height = 28;
        public int width = 28;
        /** Partitions of the image table. */
        public int partitions = 8;
    }

    /** The teacher network and how it is trained. */
    public static final class Teacher {
        /** Model-zoo architecture name. */
        public String architecture = "cnn";
        /** Architecture parameters, passed to the model zoo. */
        public Map<String, Object> params = new LinkedHashMap<>();
        public int epochs = 6;
        public int batchSize = 128;
        public double learningRate = 1e-3;
        public long seed = 42;
        /** Training augmentation: random horizontal flips (label-preserving for clothing, not for digits). */
        public boolean flip = false;
        /** Training augmentation: random shifts of up to this many pixels; 0 = none. */
        public int shift = 0;
        /**
         * Seeds of further teachers trained like this one (saved under {@code OUTPUT/teacher/seed-S/}): with any, the
         * soft-label job labels with the ensemble of this teacher and them ({@code soft_labels.ensemble}, after which
         * come {@code soft_labels.ensemble_teachers}). Empty: one teacher.
         */
        public List<Long> ensembleSeeds = new ArrayList<>();
    }

    /** The soft-label store. */
    public static final class SoftLabels {
        /** Teacher inference batch size. */
        public int batchSize = 256;
        /** Teacher vertices whose activations are stored beside the logits. */
        public List<String> featureTaps = new ArrayList<>(List.of("block2"));
        /**
         * Encoding of the feature-tap columns: {@code float16}, {@code float32}, {@code avgpool:HxW} (spatial pooling) or
         * {@code attention} (the attention-transfer map); see {@code ColumnEncoding}.
         */
        public String featureEncoding = "float16";
        /** Per-tap encodings that override {@link #featureEncoding}, e.g. {@code {block2: attention}}. */
        public Map<String, String> tapEncodings = new LinkedHashMap<>();
        /**
         * Encoding of the logits: {@code float32} (the {@code logits} column, {@code array<float>}, that every reader
         * outside the project knows) or {@code topk:K} / {@code topk:K:float16} (the {@code logits_topk} column: the K
         * largest logits, for teachers with hundreds or thousands of classes); K must not exceed the classes, which
         * the soft-label job checks before any work.
         */
        public String logitsEncoding = "float32";
        /**
         * Who runs the teacher: {@code dl4j}; {@code onnx} (ONNX Runtime on the DL4J teacher's verified ONNX export,
         * or on {@link #teacherOnnx}; an export that does not verify is an error); {@code auto} (like {@code onnx},
         * but an export that does not verify falls back to DL4J with a warning).
         */
        public String backend = "dl4j";
        /** Where ONNX Runtime runs: {@code cpu}, or {@code cuda} (GPU 0; needs the {@code -Pgpu-onnx} build). */
        public String onnxDevice = "cpu";
        /**
         * An external ONNX classifier to label with instead of the run's DL4J teacher (any Hadoop URI or local
         * path): one float input {@code [N, C, H, W]} taking pixels scaled to [0, 1], an output of raw logits
         * ({@code logits} if it has one, else its first output), and the feature taps as named outputs.
         */
        public String teacherOnnx;
        /**
         * A teacher trained elsewhere, labelling instead of the run's own (any Hadoop URI or local path): a DL4J
         * ComputationGraph or MultiLayerNetwork zip, or a Keras 2 HDF5 model, told apart by content. It must take the
         * image table's images (dataset.channels/height/width) and end in a softmax or linear classifier over exactly
         * the table's classes; both are checked before any work. Its SHA-256 keys the store version.
         */
        public String teacherModel;
        /**
         * More teachers labelling in the same pass, as an ensemble with the run's teacher (or {@link #teacherOnnx} or
         * {@link #teacherModel}): any file {@link #teacherModel} accepts, or ONNX classifiers ({@code .onnx}), any Hadoop URI. The
         * store's {@code logits} are then the ensemble's and {@code member_logits} holds each teacher's.
         */
        public List<String> ensembleTeachers = new ArrayList<>();
        /** How an ensemble combines its teachers: {@code mean_logits} or {@code mean_probs} (log of the mean softmax). */
        public String ensemble = "mean_logits";
        /**
         * Augmented views labelled per training image besides the image itself (FKD): each a horizontal flip (if
         * {@link #viewFlip}) and a shift of up to {@link #viewShift} pixels, drawn from {@link #viewSeed}; 0 = none.
         * The student then trains each epoch on one labelled view per image.
         */
        public int views = 0;
        public int viewShift = 2;
        public boolean viewFlip = false;
        public long viewSeed = 11;
    }

    /** The soft-label backends. */
    public static final List<String> BACKENDS = List.of("dl4j", "onnx", "auto");
    /** Where ONNX Runtime can run. */
    public static final List<String> ONNX_DEVICES = List.of("cpu", "cuda");

    /** The student and the distillation run. */
    public static final class Distill {
        public String student = "cnn-small";
        public Map<String, Object> studentParams = new LinkedHashMap<>();
        /**
         * The KD student's method, a shorthand for its objective (see {@link KdConfig#studentObjective()}):
         * {@code none} (hard labels only: the baseline) or a registered method, {@code kd dkd dist fitnets at sp rkd
         * pkt}.
         */
        public String method = "kd";
        /**
         * The KD student's objective as a weighted sum of named terms, e.g. {@code {ce: 1, kd: {weight: 0.9},
         * at: {student_tap: block2}}} (see {@code bin/kd methods}); when set it replaces the expansion of
         * {@code method}.
         */
        public Map<String, Object> objective = new LinkedHashMap<>();
        public double temperature = 4.0;
        /** Weight of the hard-label cross-entropy; 1 - alpha goes to the soft term. */
        public double alpha = 0.5;
        public int epochs = 8;
        public int batchSizePerWorker = 64;
        /** Minibatches each worker fits between two parameter averagings ({@code barrier} and {@code dl4j} trainers). */
        public int averagingFrequency = 8;
        /**
         * How the workers train together: {@code allreduce} (an epoch is one Spark barrier stage whose tasks sum
         * their gradients every step over TCP: synchronous SGD at batch workers x batch_size_per_worker),
         * {@code barrier} (the same stage, averaging parameters and updater state every averaging_frequency
         * minibatches) or {@code dl4j} (DL4J's ParameterAveragingTrainingMaster, a Spark job per averaging round).
         */
        public String trainer = org.kdspark.jobs.distill.EpochTrainer.ALLREDUCE;
        /**
         * With the {@code allreduce} trainer, whether batch-norm layers normalise with the statistics of the whole
         * step (every worker's minibatch: the same training as one JVM at batch workers x batch_size_per_worker) or
         * each worker's own minibatch only.
         */
        public boolean syncBatchNorm = true;
        /**
         * Training examples whose activations, run forward with the weights of each finished epoch, set the batch-norm
         * running statistics before the epoch is evaluated and saved (precise BN, {@code PreciseBatchNorm}); 0 keeps
         * DL4J's moving averages. Training never reads them, so this changes inference only.
         */
        public int preciseBnExamples = 8192;
        public double learningRate = 2e-3;
        /**
         * Learning rate per epoch: {@code constant}, {@code cosine} (from learning_rate down to min_learning_rate at the
         * last epoch) or {@code step} (times lr_gamma every lr_step_epochs epochs). See {@code LearningRateSchedule}.
         */
        public String lrSchedule = "constant";
        public double minLearningRate = 0.0;
        public int lrStepEpochs = 2;
        public double lrGamma = 0.5;
        /**
         * Fraction of the training images held out for validation (the same images for every student and seed); 0
         * trains on all of them.
         */
        public double validationFraction = 0.0;
        /**
         * Stop after this many epochs without a better validation accuracy and keep the best epoch's student; 0 trains
         * every epoch. Needs validation_fraction > 0.
         */
        public int earlyStoppingPatience = 0;
        public long seed = 7;
        /** Parallel workers; 0 means one per executor core. */
        public int workers = 0;
    }

    /** Scheduled retraining ({@code kd retrain}): where promoted students live and when a candidate is promoted. */
    public static final class Retrain {
        /** The model registry, any Hadoop URI (s3a:// included); default OUTPUT/registry. */
        public String registry;
        /** The model's name in the registry: REGISTRY/MODEL/. */
        public String model = "student";
        /**
         * Held-out accuracy (a fraction: 0.005 = half a point) a candidate must gain over the current production
         * student to be promoted; 0 promotes any candidate that is strictly better.
         */
        public double minImprovement = 0.0;
    }

    /** Checks values that the types alone do not; returns every problem found, each naming its key. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        require(p, output != null && !output.isBlank(), "output", "must be a path or URI", output);
        require(p, Dataset.FORMATS.contains(dataset.format), "dataset.format", "must be one of " + sorted(Dataset.FORMATS), dataset.format);
        require(p, dataset.path != null && !dataset.path.isBlank(), "dataset.path", "must be a path or URI", dataset.path);
        require(p, dataset.trainLimit >= 0, "dataset.train_limit", "must be >= 0 (0 = all)", dataset.trainLimit);
        require(p, dataset.testLimit >= 0, "dataset.test_limit", "must be >= 0 (0 = all)", dataset.testLimit);
        require(p, dataset.testFraction > 0 && dataset.testFraction < 1, "dataset.test_fraction", "must be in (0, 1)", dataset.testFraction);
        require(p, dataset.channels == 1 || dataset.channels == 3, "dataset.channels", "must be 1 or 3", dataset.channels);
        require(p, dataset.height > 0 && dataset.width > 0, "dataset.height/width", "must be positive", dataset.height + "x" + dataset.width);
        require(p, dataset.partitions > 0, "dataset.partitions", "must be > 0", dataset.partitions);
        require(p, teacher.epochs > 0, "teacher.epochs", "must be > 0", teacher.epochs);
        require(p, teacher.batchSize > 0, "teacher.batch_size", "must be > 0", teacher.batchSize);
        require(p, teacher.learningRate > 0, "teacher.learning_rate", "must be > 0", teacher.learningRate);
        require(p, teacher.shift >= 0, "teacher.shift", "must be >= 0 pixels", teacher.shift);
        require(p, teacher.ensembleSeeds != null && !teacher.ensembleSeeds.contains(null) && !teacher.ensembleSeeds.contains(teacher.seed)
                && Set.copyOf(teacher.ensembleSeeds).size() == teacher.ensembleSeeds.size(), "teacher.ensemble_seeds",
                "must be distinct seeds other than teacher.seed (" + teacher.seed + ")", teacher.ensembleSeeds);
        require(p, softLabels.batchSize > 0, "soft_labels.batch_size", "must be > 0", softLabels.batchSize);
        require(p, softLabels.featureTaps != null, "soft_labels.feature_taps", "must be a list (may be empty)", null);
        requireFeatureEncoding(p, "soft_labels.feature_encoding", softLabels.featureEncoding);
        try {
            SoftLabelStore.logitsEncoding(softLabels.logitsEncoding, "soft_labels.logits_encoding");
        } catch (IllegalArgumentException e) {
            p.add(e.getMessage());
        }
        require(p, softLabels.ensembleTeachers != null, "soft_labels.ensemble_teachers", "must be a list of model URIs (may be empty)", null);
        require(p, List.of("mean_logits", "mean_probs").contains(softLabels.ensemble), "soft_labels.ensemble",
                "must be one of [mean_logits, mean_probs]", softLabels.ensemble);
        require(p, softLabels.views >= 0 && softLabels.views <= 64, "soft_labels.views", "must be in [0, 64] (0 = no augmented views)",
                softLabels.views);
        require(p, softLabels.viewShift >= 0, "soft_labels.view_shift", "must be >= 0 pixels", softLabels.viewShift);
        require(p, softLabels.tapEncodings != null, "soft_labels.tap_encodings", "must be a map of tap to encoding (may be empty)", null);
        if (softLabels.tapEncodings != null) {
            softLabels.tapEncodings.forEach((tap, encoding) -> {
                require(p, softLabels.featureTaps != null && softLabels.featureTaps.contains(tap), "soft_labels.tap_encodings." + tap,
                        "names no tap of soft_labels.feature_taps " + softLabels.featureTaps, encoding);
                requireFeatureEncoding(p, "soft_labels.tap_encodings." + tap, encoding);
            });
        }
        require(p, BACKENDS.contains(softLabels.backend), "soft_labels.backend", "must be one of " + BACKENDS, softLabels.backend);
        require(p, ONNX_DEVICES.contains(softLabels.onnxDevice), "soft_labels.onnx_device", "must be one of " + ONNX_DEVICES,
                softLabels.onnxDevice);
        require(p, softLabels.teacherOnnx == null || !softLabels.backend.equals("dl4j"), "soft_labels.teacher_onnx",
                "needs soft_labels.backend onnx or auto (DL4J cannot run an ONNX file)", softLabels.teacherOnnx);
        require(p, softLabels.teacherOnnx == null || !softLabels.teacherOnnx.isBlank(), "soft_labels.teacher_onnx",
                "must be a path or URI, or left out", softLabels.teacherOnnx);
        require(p, softLabels.teacherModel == null || !softLabels.teacherModel.isBlank(), "soft_labels.teacher_model",
                "must be a path or URI, or left out", softLabels.teacherModel);
        require(p, softLabels.teacherModel == null || softLabels.teacherOnnx == null, "soft_labels.teacher_model",
                "and soft_labels.teacher_onnx both name a teacher: set only one", softLabels.teacherModel);
        boolean knownMethod = isMethod(distill.method);
        require(p, knownMethod, "distill.method", "must be one of " + METHODS + ", or distillation methods joined by '+' (e.g. kd+rkd)",
                distill.method);
        require(p, distill.objective != null, "distill.objective", "must be a map of terms (may be empty)", null);
        if (knownMethod && softLabels.featureTaps != null && distill.objective != null) {
            try {
                studentObjective();
            } catch (IllegalArgumentException e) {
                p.add((distill.objective.isEmpty() ? "distill.method " : "distill.objective ") + e.getMessage());
            }
        }
        require(p, distill.temperature > 0, "distill.temperature", "must be > 0", distill.temperature);
        require(p, distill.alpha >= 0 && distill.alpha <= 1, "distill.alpha", "must be in [0, 1]", distill.alpha);
        require(p, distill.epochs > 0, "distill.epochs", "must be > 0", distill.epochs);
        require(p, distill.batchSizePerWorker > 0, "distill.batch_size_per_worker", "must be > 0", distill.batchSizePerWorker);
        require(p, distill.averagingFrequency > 0, "distill.averaging_frequency", "must be > 0", distill.averagingFrequency);
        require(p, distill.preciseBnExamples >= 0, "distill.precise_bn_examples", "must be >= 0 (0: keep the moving averages)",
                distill.preciseBnExamples);
        require(p, org.kdspark.jobs.distill.EpochTrainer.KINDS.contains(distill.trainer), "distill.trainer",
                "must be one of " + org.kdspark.jobs.distill.EpochTrainer.KINDS, distill.trainer);
        require(p, retrain.model != null && retrain.model.matches("[A-Za-z0-9][A-Za-z0-9._-]*"), "retrain.model",
                "must be a name of letters, digits, '.', '_' or '-'", retrain.model);
        require(p, retrain.minImprovement > -1 && retrain.minImprovement < 1, "retrain.min_improvement",
                "must be an accuracy fraction in (-1, 1), e.g. 0.005 for half a point", retrain.minImprovement);
        require(p, retrain.registry == null || !retrain.registry.isBlank(), "retrain.registry", "must be a path or URI, or left out",
                retrain.registry);
        require(p, distill.learningRate > 0, "distill.learning_rate", "must be > 0", distill.learningRate);
        require(p, distill.workers >= 0, "distill.workers", "must be >= 0 (0 = one per executor core)", distill.workers);
        require(p, LR_SCHEDULES.contains(distill.lrSchedule), "distill.lr_schedule", "must be one of " + LR_SCHEDULES, distill.lrSchedule);
        require(p, distill.minLearningRate >= 0 && distill.minLearningRate <= distill.learningRate, "distill.min_learning_rate",
                "must be in [0, distill.learning_rate]", distill.minLearningRate);
        require(p, distill.lrStepEpochs > 0, "distill.lr_step_epochs", "must be > 0", distill.lrStepEpochs);
        require(p, distill.lrGamma > 0 && distill.lrGamma <= 1, "distill.lr_gamma", "must be in (0, 1]", distill.lrGamma);
        require(p, distill.validationFraction >= 0 && distill.validationFraction < 0.5, "distill.validation_fraction",
                "must be in [0, 0.5) (0 = no validation split)", distill.validationFraction);
        require(p, distill.earlyStoppingPatience >= 0, "distill.early_stopping_patience", "must be >= 0 (0 = off)", distill.earlyStoppingPatience);
        require(p, distill.earlyStoppingPatience == 0 || distill.validationFraction > 0, "distill.early_stopping_patience",
                "needs a validation split: set distill.validation_fraction (e.g. 0.1) or the patience to 0", distill.earlyStoppingPatience);
        return p;
    }

    /** The values {@code distill.lr_schedule} accepts. */
    public static final List<String> LR_SCHEDULES = List.of("constant", "cosine", "step");

    /** The single values {@code distill.method} accepts: the baseline and the registered distillation methods. */
    public static final List<String> METHODS = Stream.concat(Stream.of(Methods.BASELINE),
            Methods.names().stream()).toList();

    /** A {@code distill.method} value: one of {@link #METHODS}, or two or more distinct distillation methods joined by '+'. */
    public static boolean isMethod(String method) {
        if (method == null) {
            return false;
        }
        List<String> parts = List.of(method.split("\\+", -1));
        return parts.size() == 1 ? METHODS.contains(method)
                : parts.stream().allMatch(Methods.names()::contains) && parts.stream().distinct().count() == parts.size();
    }

    /**
     * The KD student's objective: {@code distill.objective} when set, else the expansion of {@code distill.method}:
     * <ul>
     *   <li>{@code kd}: {@code {kd: {alpha, temperature}}}, Hinton's {@code alpha*CE + (1-alpha)*T^2*KL} in one head;</li>
     *   <li>{@code dkd}, {@code dist}: {@code {ce: 1, M: {temperature}}};</li>
     *   <li>{@code fitnets}, {@code at}, {@code sp}: {@code {ce: 1, M: {student_tap: F, teacher_tap: F}}} with F the
     *       first of {@code soft_labels.feature_taps} (a feature map);</li>
     *   <li>{@code rkd}, {@code pkt}: the same on the last of {@code soft_labels.feature_taps} (an embedding, when the
     *       list ends with one);</li>
     *   <li>{@code none}: {@code {ce: 1}}, the baseline;</li>
     *   <li>methods joined by '+' ({@code kd+rkd}): the sum of their terms, with a single hard-label term: kd's own
     *       when kd is one of them, else {@code ce: 1}.</li>
     * </ul>
     * Every method's other keys take their defaults ({@code bin/kd methods}).
     *
     * @throws IllegalArgumentException naming the term or key at fault
     */
    public Objective studentObjective() {
        if (!distill.objective.isEmpty()) {
            return Objective.parse(distill.objective);
        }
        return objectiveFor(distill.method);
    }

    /** The expansion of one {@code distill.method} value, as {@link #studentObjective()} describes. */
    public Objective objectiveFor(String method) {
        Map<String, Object> terms = new LinkedHashMap<>();
        for (String part : method.split("\\+")) {
            terms.putAll(termsOf(part));
        }
        if (terms.containsKey("kd")) {
            terms.remove("ce");
        }
        return Objective.parse(terms);
    }

    /** The terms of one method of {@link #METHODS}. */
    private Map<String, Object> termsOf(String method) {
        Map<String, Object> terms = new LinkedHashMap<>();
        List<String> taps = softLabels.featureTaps;
        switch (method) {
            case Methods.BASELINE -> terms.put("ce", 1.0);
            case "kd" -> terms.put("kd", Map.of("alpha", distill.alpha, "temperature", distill.temperature));
            case "dkd", "dist" -> {
                terms.put("ce", 1.0);
                terms.put(method, Map.of("temperature", distill.temperature));
            }
            default -> {
                if (taps.isEmpty()) {
                    throw new IllegalArgumentException(method + " needs a teacher feature tap in the store: list one in"
                            + " soft_labels.feature_taps, or give distill.objective");
                }
                String tap = List.of("rkd", "pkt").contains(method) ? taps.get(taps.size() - 1) : taps.get(0);
                terms.put("ce", 1.0);
                terms.put(method, Map.of("student_tap", tap, "teacher_tap", tap));
            }
        }
        return terms;
    }

    private static void require(List<String> problems, boolean ok, String key, String rule, Object value) {
        if (!ok) {
            problems.add(key + " " + rule + ", got " + (value instanceof String s ? "'" + s + "'" : value));
        }
    }

    private static void requireFeatureEncoding(List<String> problems, String key, String encoding) {
        try {
            ColumnEncoding.parseFeature(encoding);
        } catch (IllegalArgumentException e) {
            problems.add(key + " " + e.getMessage());
        }
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
