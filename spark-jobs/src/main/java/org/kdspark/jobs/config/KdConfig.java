package org.kdspark.jobs.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.kdspark.kd.codec.ColumnEncoding;
import org.kdspark.kd.codec.LogitsEncoding;
import org.kdspark.kd.data.Normalization;
import org.kdspark.kd.method.Methods;
import org.kdspark.kd.method.Objective;
import org.kdspark.kd.method.Shorthand;
import org.kdspark.kd.train.LearningRateSchedule;
import org.kdspark.kd.zoo.Architecture;
import org.kdspark.kd.zoo.ModelParams;
import org.kdspark.kd.zoo.ModelZoo;

/**
 * The typed, immutable configuration of every job, read from YAML (snake_case keys) by {@link ConfigLoader}.
 *
 * <p>Each key's default and meaning sit on its declaration ({@link Key}): a key left out of a YAML file takes that
 * default, and {@code kd config --describe} (docs/configuration.md) documents every key from the same annotations.
 * Unknown keys and bad values are refused at start-up, before any Spark work, naming the key's full dotted path and
 * the allowed values. Copies differ through {@code with...} methods: {@code config.withDistill(d -> d.withSeed(3))}.
 */
public record KdConfig(
        @Key(defaultValue = "out/fashion-mnist", doc = "Where every artifact of the run goes: a Hadoop URI (`hdfs://`, `s3a://`) or a"
                + " local path. `--output` overrides it.")
        String output,
        @Section(doc = "The Spark session.") Spark spark,
        @Section(doc = "The image set and how it is ingested into the image table.") Dataset dataset,
        @Section(doc = "How the pixels of the image table become a network's input: the values the run's own networks (the teacher"
                + " it trains, every student) take, and those of a teacher supplied from outside, when they differ. Each is recorded"
                + " in provenance; the supplied teacher's is part of the store's version key.") Preprocess preprocess,
        @Section(doc = "The teacher the run trains itself (`kd train-teacher`), and further ensemble teachers.") Teacher teacher,
        @Section(doc = "The soft-label store: which teacher labels, what is stored, how it is encoded.") SoftLabels softLabels,
        @Section(doc = "The student and its distributed training (`kd distill`).") Distill distill,
        @Section(doc = "Scheduled retraining (`kd retrain`): the model registry and when a candidate is promoted.") Retrain retrain) {

    /** The built-in defaults: the configuration of an empty YAML file. */
    public static KdConfig defaults() {
        return ConfigLoader.defaults();
    }

    public KdConfig withOutput(String value) {
        return new KdConfig(value, spark, dataset, preprocess, teacher, softLabels, distill, retrain);
    }

    public KdConfig withSpark(UnaryOperator<Spark> change) {
        return new KdConfig(output, change.apply(spark), dataset, preprocess, teacher, softLabels, distill, retrain);
    }

    public KdConfig withDataset(UnaryOperator<Dataset> change) {
        return new KdConfig(output, spark, change.apply(dataset), preprocess, teacher, softLabels, distill, retrain);
    }

    public KdConfig withPreprocess(UnaryOperator<Preprocess> change) {
        return new KdConfig(output, spark, dataset, change.apply(preprocess), teacher, softLabels, distill, retrain);
    }

    public KdConfig withTeacher(UnaryOperator<Teacher> change) {
        return new KdConfig(output, spark, dataset, preprocess, change.apply(teacher), softLabels, distill, retrain);
    }

    public KdConfig withSoftLabels(UnaryOperator<SoftLabels> change) {
        return new KdConfig(output, spark, dataset, preprocess, teacher, change.apply(softLabels), distill, retrain);
    }

    public KdConfig withDistill(UnaryOperator<Distill> change) {
        return new KdConfig(output, spark, dataset, preprocess, teacher, softLabels, change.apply(distill), retrain);
    }

    public KdConfig withRetrain(UnaryOperator<Retrain> change) {
        return new KdConfig(output, spark, dataset, preprocess, teacher, softLabels, distill, change.apply(retrain));
    }

    /** Spark session settings. */
    public record Spark(
            @Key(defaultValue = "~", doc = "Spark master URL. Unset: spark-submit's `--master`, else `local[*]`. `--master` overrides it.")
            String master,
            @Key(defaultValue = "kd", doc = "Prefix of the Spark application name (the job's name follows it).")
            String appName,
            @Key(defaultValue = "{}", doc = "Extra Spark properties, e.g. `{spark.sql.shuffle.partitions: \"8\"}`.")
            Map<String, String> conf) {

        public Spark {
            conf = Immutable.map(conf);
        }

        public Spark withMaster(String value) {
            return new Spark(value, appName, conf);
        }

        /** This section with one more Spark property (or one replaced). */
        public Spark withConf(String key, String value) {
            Map<String, String> more = new java.util.LinkedHashMap<>(conf);
            more.put(key, value);
            return new Spark(master, appName, more);
        }
    }

    /** The image set to ingest. */
    public record Dataset(
            @Key(defaultValue = "fashion-mnist", doc = "Name of the image set, in ids, provenance and reports.")
            String name,
            @Key(defaultValue = "idx", doc = "How the images are laid out: `idx` (MNIST-style IDX gz files), `folder` (`ROOT/CLASS/*.png`,"
                    + " or `ROOT/train/CLASS/...` and `ROOT/test/CLASS/...` or `ROOT/val/CLASS/...`; one task per thousand files) or `manifest` (`path` is a CSV file with a header, or a"
                    + " Parquet file, of `path,label[,split]`: paths absolute, any Hadoop URI, or relative to the manifest; labels are"
                    + " class names, sorted numerically when all are integers; split `train`, `test` or empty for the hash split)"
                    + " or `webdataset` (the `.tar` shards under `path`, samples of `KEY.jpg`/`.png` and `KEY.cls`, the class index;"
                    + " shards under `train/` and `test/` or `val/` give the split, else the hash split; class names from"
                    + " `path/classes.txt`, one per line, else the indices; one task per shard) or `parquet` (Parquet files under"
                    + " `path` with an image struct column `{bytes, path}` and an integer class column, the layout a Hugging Face"
                    + " data set is exported to; class names from its `huggingface` metadata, else the indices; a `train`, `test`,"
                    + " `val` or `validation` folder or file-name prefix gives the split, else the hash split; one task per file)."
                    + " PNG, JPEG and BMP, grey or RGB. A listed file that is missing, unreadable, empty or undecodable, or has no label,"
                    + " goes to the rejects with the reason; a malformed manifest fails before any work, naming the row.")
            DatasetFormat format,
            @Key(defaultValue = "file:///usr/share/datasets/fashion-mnist", doc = "Where the images are: the IDX directory, the image"
                    + " folder, the manifest file, or the folder of tar shards. A folder is ingested again when its listing (paths,"
                    + " sizes, times) changes, a manifest when its rows change.")
            String path,
            @Key(defaultValue = "0", doc = "`idx` only: keep the first N training images; 0 keeps all.")
            int trainLimit,
            @Key(defaultValue = "0", doc = "`idx` only: keep the first N test images; 0 keeps all.")
            int testLimit,
            @Key(defaultValue = "0.2", doc = "Sources without a split of their own: the share of images (by id hash, stable) put in"
                    + " the test split.")
            double testFraction,
            @Key(defaultValue = "1", doc = "Channels the images of files are converted to: 1 (luma) or 3 (RGB).")
            int channels,
            @Key(defaultValue = "28", doc = "Height the images of files are resized to.")
            int height,
            @Key(defaultValue = "28", doc = "Width the images of files are resized to.")
            int width,
            @Key(defaultValue = "exact", doc = "How an image file is brought to `height` x `width`: `exact` (scaled to it, the aspect"
                    + " ratio not kept), `center_crop` (scaled so that the shorter side is `resize_shorter`, then the centre"
                    + " `height` x `width` cut out: torchvision's `Resize(N)` then `CenterCrop`) or `pad` (scaled to fit inside,"
                    + " aspect ratio kept, the borders black). IDX images are taken as they are.")
            ResizeMode resize,
            @Key(defaultValue = "0", doc = "`center_crop`: the length the shorter side is scaled to before the crop (256 for"
                    + " torchvision's ImageNet evaluation at 224; timm's is the size divided by its `crop_pct`); 0 = just enough to"
                    + " cover `height` x `width`.")
            int resizeShorter,
            @Key(defaultValue = "bilinear", doc = "The resampling filter: `bilinear`, `bicubic` or `nearest`, computed as Pillow computes"
                    + " them (antialiased when shrinking), so that the pixels equal those torchvision's transforms make from the same"
                    + " file.")
            Interpolation interpolation,
            @Key(defaultValue = "8", doc = "Partitions of the image table.")
            int partitions,
            @Key(defaultValue = "image", doc = "`parquet`: the struct column of the encoded images, `{bytes, path}`.")
            String imageColumn,
            @Key(defaultValue = "label", doc = "`parquet`: the integer class column.")
            String labelColumn) {

        public Dataset withFormat(DatasetFormat value) {
            return new Dataset(name, value, path, trainLimit, testLimit, testFraction, channels, height, width, resize, resizeShorter,
                    interpolation, partitions, imageColumn, labelColumn);
        }

        public Dataset withPath(String value) {
            return new Dataset(name, format, value, trainLimit, testLimit, testFraction, channels, height, width, resize, resizeShorter,
                    interpolation, partitions, imageColumn, labelColumn);
        }

        public Dataset withLimits(int train, int test) {
            return new Dataset(name, format, path, train, test, testFraction, channels, height, width, resize, resizeShorter,
                    interpolation, partitions, imageColumn, labelColumn);
        }
    }

    /** The normalisation of the networks' inputs. */
    public record Preprocess(
            @Key(defaultValue = "rgb", doc = "Order of the input channels of the run's networks: `rgb` or `bgr` (the table stores RGB).")
            ChannelOrder channelOrder,
            @Key(defaultValue = "255", doc = "What a pixel (0-255) is divided by first: 255 gives [0, 1], 1 keeps [0, 255].")
            double scale,
            @Key(defaultValue = "[]", doc = "Per input channel, subtracted after scaling, e.g. `[0.485, 0.456, 0.406]`; [] for none.")
            List<Double> mean,
            @Key(defaultValue = "[]", doc = "Per input channel, divided by last, e.g. `[0.229, 0.224, 0.225]`; [] for none.")
            List<Double> std,
            @Key(defaultValue = "~", doc = "`soft_labels.teacher_onnx`, `teacher_model` and `ensemble_teachers`: the order of their"
                    + " input channels. Unset: `channel_order`.")
            ChannelOrder teacherChannelOrder,
            @Key(defaultValue = "0", doc = "As `scale`, for the supplied teachers; 0 = `scale`.")
            double teacherScale,
            @Key(defaultValue = "[]", doc = "As `mean`, for the supplied teachers (a PyTorch export usually takes the ImageNet"
                    + " mean); [] = `mean`.")
            List<Double> teacherMean,
            @Key(defaultValue = "[]", doc = "As `std`, for the supplied teachers; [] = `std`.")
            List<Double> teacherStd) {

        public Preprocess {
            mean = Immutable.list(mean);
            std = Immutable.list(std);
            teacherMean = Immutable.list(teacherMean);
            teacherStd = Immutable.list(teacherStd);
        }

        /** What the run's own networks take. */
        public Normalization normalization() {
            return new Normalization(channelOrder.toData(), scale, mean, std);
        }

        /** What a teacher supplied from outside the run takes: each key left unset is the run's. */
        public Normalization teacherNormalization() {
            return new Normalization((teacherChannelOrder != null ? teacherChannelOrder : channelOrder).toData(),
                    teacherScale > 0 ? teacherScale : scale, teacherMean.isEmpty() ? mean : teacherMean,
                    teacherStd.isEmpty() ? std : teacherStd);
        }

        public Preprocess withNormalization(List<Double> newMean, List<Double> newStd) {
            return new Preprocess(channelOrder, scale, newMean, newStd, teacherChannelOrder, teacherScale, teacherMean, teacherStd);
        }

        public Preprocess withTeacherNormalization(List<Double> newMean, List<Double> newStd) {
            return new Preprocess(channelOrder, scale, mean, std, teacherChannelOrder, teacherScale, newMean, newStd);
        }
    }

    /** The teacher network the run trains, and how. */
    public record Teacher(
            @Key(defaultValue = "cnn", doc = "Model-zoo architecture of the teacher (docs/models.md lists them).")
            String architecture,
            @Key(defaultValue = "{}", doc = "Architecture parameters (snake_case), e.g. `{lr_decay: 0.6}` to decay the learning rate by"
                    + " that factor per epoch; docs/models.md lists each architecture's.")
            Map<String, Object> params,
            @Key(defaultValue = "6", doc = "Passes over the training split.")
            int epochs,
            @Key(defaultValue = "128", doc = "Minibatch size.")
            int batchSize,
            @Key(defaultValue = "0.001", doc = "Adam's learning rate.")
            double learningRate,
            @Key(defaultValue = "42", doc = "Seed of the initialisation and the data order.")
            long seed,
            @Key(defaultValue = "false", doc = "Training augmentation: random horizontal flips (label-preserving for clothing, not for digits).")
            boolean flip,
            @Key(defaultValue = "0", doc = "Training augmentation: random shifts of up to this many pixels; 0 = none.")
            int shift,
            @Key(defaultValue = "[]", doc = "Further teachers trained like this one with these seeds (`OUTPUT/teacher/seed-S/model.zip`,"
                    + " each reused when unchanged; adding one retrains no other): the soft-label job then labels with the ensemble"
                    + " of the run's teacher, these, then `soft_labels.ensemble_teachers` (`soft_labels.ensemble`). With"
                    + " `soft_labels.backend` `onnx` or `auto` each labels through its verified ONNX export, kept beside it.")
            List<Long> ensembleSeeds) {

        public Teacher {
            params = Immutable.map(params);
            ensembleSeeds = Immutable.list(ensembleSeeds);
        }

        public Teacher withArchitecture(String value) {
            return new Teacher(value, params, epochs, batchSize, learningRate, seed, flip, shift, ensembleSeeds);
        }

        public Teacher withSeed(long value) {
            return new Teacher(architecture, params, epochs, batchSize, learningRate, value, flip, shift, ensembleSeeds);
        }

        public Teacher withEpochs(int value) {
            return new Teacher(architecture, params, value, batchSize, learningRate, seed, flip, shift, ensembleSeeds);
        }

        public Teacher withEnsembleSeeds(List<Long> value) {
            return new Teacher(architecture, params, epochs, batchSize, learningRate, seed, flip, shift, value);
        }
    }

    /** The soft-label store and the teacher that labels it. */
    public record SoftLabels(
            @Key(defaultValue = "256", doc = "Images per teacher call.")
            int batchSize,
            @Key(defaultValue = "[block2]", doc = "Teacher vertices whose activations are stored beside the logits.")
            List<String> featureTaps,
            @Key(defaultValue = "float16", doc = "Encoding of every feature-tap column: `float16`, `float32`, `avgpool:HxW` (spatial"
                    + " pooling of a feature map, float16 unless `:float32`) or `attention` (its attention-transfer map); see"
                    + " docs/store.md.")
            ColumnEncoding featureEncoding,
            @Key(defaultValue = "{}", doc = "Per-tap encodings overriding `feature_encoding`, e.g. `{block2: attention}`. A tap not in"
                    + " `feature_taps`, or an encoding that does not fit the tap's shape, is refused before any work, naming the key.")
            Map<String, ColumnEncoding> tapEncodings,
            @Key(defaultValue = "float32", doc = "`float32`: the `logits` column, `array<float>`, as every reader outside the project"
                    + " expects; `topk:K` or `topk:K:float16`: the `logits_topk` column, the K largest logits per row, for teachers"
                    + " with hundreds or thousands of classes. K above the image table's classes fails before any work. A different"
                    + " encoding is a different store version.")
            LogitsEncoding logitsEncoding,
            @Key(defaultValue = "dl4j", doc = "Who runs the teacher: `dl4j`; `onnx` (ONNX Runtime on the teacher's verified ONNX"
                    + " export, kept as `teacher/labelling.onnx`, or on `teacher_onnx`; an export that does not verify is an error);"
                    + " `auto` (as `onnx`, but falls back to DL4J with a warning).")
            LabellingBackend backend,
            @Key(defaultValue = "cpu", doc = "Where ONNX Runtime runs: `cpu`, or `cuda` (GPU 0; needs the `-Pgpu-onnx` build).")
            OnnxDevice onnxDevice,
            @Key(defaultValue = "~", doc = "An ONNX classifier (a PyTorch export, say) that labels instead of the run's teacher, any"
                    + " Hadoop URI: one float input `[N, C, H, W]` normalised as `preprocess.teacher_*` says (a torchvision export:"
                    + " the ImageNet mean and std), raw logits as the output named `logits` (else its first output), feature taps as"
                    + " named outputs. A file declaring its input in the metadata `kd.input_spec` is refused when fed another. Needs"
                    + " `backend` `onnx` or `auto`.")
            String teacherOnnx,
            @Key(defaultValue = "~", doc = "A teacher trained elsewhere that labels instead of the run's own, any Hadoop URI: a DL4J"
                    + " ComputationGraph or MultiLayerNetwork zip, or a Keras 2 HDF5 model, told apart by content. It must take the"
                    + " image table's images and end in a classifier over exactly its classes; both are checked before any work."
                    + " Not with `teacher_onnx`.")
            String teacherModel,
            @Key(defaultValue = "[]", doc = "More teachers labelling in the same pass, as an ensemble with the run's teacher: any file"
                    + " `teacher_model` accepts, or ONNX classifiers (`.onnx`), any Hadoop URI; each is checked against the image"
                    + " table before any work. `logits` become the ensemble's, `member_logits` keeps each teacher's; taps come from"
                    + " the first teacher; the store version is keyed by all teachers and the mode.")
            List<String> ensembleTeachers,
            @Key(defaultValue = "mean_logits", doc = "How an ensemble combines: `mean_logits` (the mean of the teachers' logits) or"
                    + " `mean_probs` (the log of the mean of their softmax probabilities).")
            EnsembleMode ensemble,
            @Key(defaultValue = "0", doc = "Augmented views (FKD) labelled per training image besides the image itself, each a"
                    + " horizontal flip (with `view_flip`, probability 1/2) then a shift of up to `view_shift` pixels with zero fill,"
                    + " drawn from (seed, id, view); rows carry `view` and its parameters. The distill job trains each epoch on one"
                    + " labelled view per image, chosen by (seed, epoch, id): the student sees exactly the view the teacher labelled."
                    + " 0 = none.")
            int views,
            @Key(defaultValue = "2", doc = "Largest shift of an augmented view, in pixels.")
            int viewShift,
            @Key(defaultValue = "false", doc = "Whether augmented views may be flipped horizontally.")
            boolean viewFlip,
            @Key(defaultValue = "11", doc = "Seed of the augmented views.")
            long viewSeed) {

        public SoftLabels {
            featureTaps = Immutable.list(featureTaps);
            tapEncodings = Immutable.map(tapEncodings);
            ensembleTeachers = Immutable.list(ensembleTeachers);
        }

        /** The encoding the store keeps {@code tap} in: its own ({@code tap_encodings}) or {@code feature_encoding}. */
        public ColumnEncoding tapEncoding(String tap) {
            return tapEncodings.getOrDefault(tap, featureEncoding);
        }

        /** The config key that sets {@code tap}'s encoding, for messages. */
        public String tapEncodingKey(String tap) {
            return tapEncodings.containsKey(tap) ? "soft_labels.tap_encodings." + tap : "soft_labels.feature_encoding";
        }

        public SoftLabels withFeatureTaps(List<String> value) {
            return new SoftLabels(batchSize, value, featureEncoding, tapEncodings, logitsEncoding, backend, onnxDevice, teacherOnnx,
                    teacherModel, ensembleTeachers, ensemble, views, viewShift, viewFlip, viewSeed);
        }

        public SoftLabels withEncodings(ColumnEncoding features, Map<String, ColumnEncoding> taps, LogitsEncoding logits) {
            return new SoftLabels(batchSize, featureTaps, features, taps, logits, backend, onnxDevice, teacherOnnx, teacherModel,
                    ensembleTeachers, ensemble, views, viewShift, viewFlip, viewSeed);
        }

        public SoftLabels withBackend(LabellingBackend value) {
            return new SoftLabels(batchSize, featureTaps, featureEncoding, tapEncodings, logitsEncoding, value, onnxDevice, teacherOnnx,
                    teacherModel, ensembleTeachers, ensemble, views, viewShift, viewFlip, viewSeed);
        }

        public SoftLabels withOnnxDevice(OnnxDevice value) {
            return new SoftLabels(batchSize, featureTaps, featureEncoding, tapEncodings, logitsEncoding, backend, value, teacherOnnx,
                    teacherModel, ensembleTeachers, ensemble, views, viewShift, viewFlip, viewSeed);
        }

        /** The teacher: the run's own (both null), an ONNX file, or a file trained elsewhere. */
        public SoftLabels withTeacher(String onnx, String model) {
            return new SoftLabels(batchSize, featureTaps, featureEncoding, tapEncodings, logitsEncoding, backend, onnxDevice, onnx, model,
                    ensembleTeachers, ensemble, views, viewShift, viewFlip, viewSeed);
        }

        public SoftLabels withEnsemble(List<String> teachers, EnsembleMode mode) {
            return new SoftLabels(batchSize, featureTaps, featureEncoding, tapEncodings, logitsEncoding, backend, onnxDevice, teacherOnnx,
                    teacherModel, teachers, mode, views, viewShift, viewFlip, viewSeed);
        }

        public SoftLabels withViews(int count, int shift, boolean flip, long seed) {
            return new SoftLabels(batchSize, featureTaps, featureEncoding, tapEncodings, logitsEncoding, backend, onnxDevice, teacherOnnx,
                    teacherModel, ensembleTeachers, ensemble, count, shift, flip, seed);
        }
    }

    /** The student and the distillation run. */
    public record Distill(
            @Key(defaultValue = "cnn-small", doc = "Model-zoo architecture of the student.")
            String student,
            @Key(defaultValue = "{}", doc = "Architecture parameters of the student (snake_case).")
            Map<String, Object> studentParams,
            @Key(defaultValue = "kd", doc = "The KD student's method, a shorthand for its objective: `none` (hard labels: the baseline)"
                    + " or a method of `bin/kd methods` (`kd dkd dist fitnets at sp rkd pkt`, and any plug-in), or several joined"
                    + " by `+` (`kd+rkd`: the sum of their terms with one hard-label term). Each method says how it expands: `kd`"
                    + " = `{kd: {alpha, temperature}}`; `dkd`, `dist` = `{ce: 1, M: {temperature}}`; `fitnets`, `at`, `sp` ="
                    + " `{ce: 1, M: {student_tap: F, teacher_tap: F}}` with F the first of `soft_labels.feature_taps`; `rkd`, `pkt`"
                    + " the same on the last.")
            String method,
            @Key(defaultValue = "{}", doc = "The KD student's objective as a weighted sum of named terms, e.g. `{ce: 0.5, kd: {weight:"
                    + " 0.5}, at: {student_tap: block2}}`; replaces the `method` shorthand when set. A term needing a signal the"
                    + " store lacks fails before training.")
            Map<String, Object> objective,
            @Key(defaultValue = "" + Methods.DEFAULT_TEMPERATURE, doc = "KD temperature T of the method shorthands.")
            double temperature,
            @Key(defaultValue = "0.5", doc = "Hard-label weight alpha of the `kd` shorthand: alpha * CE + (1 - alpha) * T^2 * KL.")
            double alpha,
            @Key(defaultValue = "8", doc = "Passes over the training split.")
            int epochs,
            @Key(defaultValue = "64", doc = "Minibatch of each worker; a step of the `allreduce` trainer is workers x this.")
            int batchSizePerWorker,
            @Key(defaultValue = "8", doc = "Minibatches per worker between two parameter averagings (`barrier` and `dl4j` trainers).")
            int averagingFrequency,
            @Key(defaultValue = "allreduce", doc = "How the workers train together: `allreduce` (synchronous SGD: an epoch is one Spark"
                    + " barrier stage whose tasks sum their gradients every step over TCP), `barrier` (the same stage, averaging"
                    + " parameters and Adam's state every `averaging_frequency` minibatches) or `dl4j` (DL4J's"
                    + " ParameterAveragingTrainingMaster, a Spark job per averaging round). The barrier trainers need a task slot"
                    + " per worker and executors that reach each other.")
            TrainerKind trainer,
            @Key(defaultValue = "ring", doc = "How the barrier trainers' workers sum gradients (`allreduce`) or parameters (`barrier`)"
                    + " each round: `ring` (reduce-scatter then all-gather around a ring; every worker sends and receives under twice"
                    + " the gradient a step, whatever the number of workers) or `star` (worker 0 sums everything: two hops a round,"
                    + " but worker 0 moves workers - 1 gradients each way).")
            AllReduceTopology allreduce,
            @Key(defaultValue = "local", doc = "How each epoch's training rows reach the workers: `local` (dealt once by a hash of the"
                    + " id and kept on their worker; every epoch each worker visits its share in a new order, sorted inside its task, so"
                    + " no row crosses the network after the first epoch) or `global` (every epoch re-deals all rows by a hash of (id,"
                    + " seed, epoch): a shuffle of the whole training set, pixels included, per epoch). Either depends only on the"
                    + " seed, the epoch and the number of workers.")
            EpochOrderKind epochOrder,
            @Key(defaultValue = "10", doc = "Barrier trainers: worker 0 writes the epoch's state part-way through after this many minutes"
                    + " of training since its last write (0: only at epoch ends), so that a stage Spark reruns after losing an executor"
                    + " resumes there instead of at the epoch's start, with the student an uninterrupted epoch would have.")
            double checkpointMinutes,
            @Key(defaultValue = "0", doc = "Barrier trainers: write the mid-epoch state every this many minibatches of a worker instead"
                    + " (0: by `checkpoint_minutes`).")
            int checkpointSteps,
            @Key(defaultValue = "true", doc = "`allreduce` only: batch-norm layers normalise with the statistics of the whole step (all"
                    + " workers' minibatches) rather than each worker's own, so that a step is the same computation as one plain"
                    + " step at batch workers x batch_size_per_worker; ND4J's CPU backend only.")
            boolean syncBatchNorm,
            @Key(defaultValue = "8192", doc = "After each epoch, batch-norm running statistics recomputed from this many training"
                    + " examples with the epoch's final weights (precise BN), before the epoch is evaluated and checkpointed; 0 keeps"
                    + " DL4J's moving averages. Training never reads them: this changes inference only.")
            int preciseBnExamples,
            @Key(defaultValue = "0.002", doc = "Adam's learning rate (of the first epoch, under a schedule).")
            double learningRate,
            @Key(defaultValue = "constant", doc = "Learning rate per epoch: `constant`; `cosine` (from `learning_rate` at the first"
                    + " epoch to `min_learning_rate` at the last); `step` (times `lr_gamma` every `lr_step_epochs` epochs).")
            LearningRateSchedule.Kind lrSchedule,
            @Key(defaultValue = "0.0", doc = "Learning rate of the last epoch under `cosine`.")
            double minLearningRate,
            @Key(defaultValue = "2", doc = "Epochs between two decays under `step`.")
            int lrStepEpochs,
            @Key(defaultValue = "0.5", doc = "Factor of each decay under `step`.")
            double lrGamma,
            @Key(defaultValue = "0.0", doc = "Share of the training images held out for validation (by id hash: the same images for"
                    + " every student, method and seed); 0 trains on all.")
            double validationFraction,
            @Key(defaultValue = "0", doc = "Stop after N epochs without a better validation accuracy and keep the best epoch's student;"
                    + " 0 = off. Needs `validation_fraction`.")
            int earlyStoppingPatience,
            @Key(defaultValue = "7", doc = "Seed of the initialisation and of the data order.")
            long seed,
            @Key(defaultValue = "0", doc = "Parallel workers; 0 = one per executor core.")
            int workers) {

        public Distill {
            studentParams = Immutable.map(studentParams);
            objective = Immutable.map(objective);
        }

        /**
         * This section training the method shorthand {@code value}; its objective, which would replace the shorthand, is
         * cleared.
         */
        public Distill withMethod(String value) {
            return new Distill(student, studentParams, value, Map.of(), temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        public Distill withObjective(Map<String, Object> value) {
            return new Distill(student, studentParams, method, value, temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        public Distill withSeed(long value) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, value, workers);
        }

        public Distill withEpochs(int value) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, value, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        /** The trainer and how often it averages ({@code barrier}, {@code dl4j}). */
        public Distill withTrainer(TrainerKind value, int frequency) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, epochs, batchSizePerWorker, frequency,
                    value, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        public Distill withAllreduce(AllReduceTopology value) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, value, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        public Distill withEpochOrder(EpochOrderKind value) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, value, checkpointMinutes, checkpointSteps, syncBatchNorm, preciseBnExamples, learningRate, lrSchedule, minLearningRate, lrStepEpochs,
                    lrGamma, validationFraction, earlyStoppingPatience, seed, workers);
        }

        public Distill withPreciseBnExamples(int value) {
            return new Distill(student, studentParams, method, objective, temperature, alpha, epochs, batchSizePerWorker, averagingFrequency,
                    trainer, allreduce, epochOrder, checkpointMinutes, checkpointSteps, syncBatchNorm, value, learningRate, lrSchedule, minLearningRate, lrStepEpochs, lrGamma,
                    validationFraction, earlyStoppingPatience, seed, workers);
        }

        /** What the method shorthands expand with. */
        public Shorthand shorthand(List<String> featureTaps) {
            return new Shorthand(alpha, temperature, featureTaps);
        }

        /** The learning rate of each epoch. */
        public LearningRateSchedule schedule() {
            return new LearningRateSchedule(lrSchedule, learningRate, minLearningRate, epochs, lrStepEpochs, lrGamma);
        }
    }

    /** Scheduled retraining ({@code kd retrain}): where promoted students live and when a candidate is promoted. */
    public record Retrain(
            @Key(defaultValue = "~", doc = "The model registry, any Hadoop URI (`s3a://` included). Unset: `OUTPUT/registry`.")
            String registry,
            @Key(defaultValue = "student", doc = "The model's name in the registry: `REGISTRY/MODEL/`.")
            String model,
            @Key(defaultValue = "0.0", doc = "Held-out accuracy (a fraction: `0.005` = half a point) a candidate must gain over the"
                    + " production student to be promoted; 0 promotes any candidate that is strictly better.")
            double minImprovement) {
    }

    /**
     * The KD student's objective: {@code distill.objective} when set, else the expansion of {@code distill.method} by the
     * methods it names ({@link Methods#expand}).
     *
     * @throws IllegalArgumentException naming the term or key at fault
     */
    public Objective studentObjective() {
        if (!distill.objective().isEmpty()) {
            return Objective.parse(distill.objective());
        }
        return objectiveFor(distill.method());
    }

    /** The expansion of one {@code distill.method} value. */
    public Objective objectiveFor(String method) {
        return Objective.parse(Methods.expand(method, distill.shorthand(softLabels.featureTaps())));
    }

    /** Checks values that the types alone do not; returns every problem found, each naming its key. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        require(p, output != null && !output.isBlank(), "output", "must be a path or URI", output);
        require(p, dataset.path() != null && !dataset.path().isBlank(), "dataset.path", "must be a path or URI", dataset.path());
        require(p, dataset.trainLimit() >= 0, "dataset.train_limit", "must be >= 0 (0 = all)", dataset.trainLimit());
        require(p, dataset.testLimit() >= 0, "dataset.test_limit", "must be >= 0 (0 = all)", dataset.testLimit());
        // the IDX reader takes the first N of each file; files, shards and tables have no such order, and a limit the
        // source ignored would train on every image without a word
        require(p, dataset.format() == DatasetFormat.IDX || (dataset.trainLimit() == 0 && dataset.testLimit() == 0), "dataset.train_limit/test_limit",
                "apply to dataset.format: idx only; set them to 0, and make a smaller set instead (a folder or shards of fewer images,"
                        + " or kd generate-images --train N --val N)", dataset.trainLimit() + "/" + dataset.testLimit() + " with format " + dataset.format());
        require(p, dataset.testFraction() > 0 && dataset.testFraction() < 1, "dataset.test_fraction", "must be in (0, 1)",
                dataset.testFraction());
        require(p, dataset.channels() == 1 || dataset.channels() == 3, "dataset.channels", "must be 1 or 3", dataset.channels());
        require(p, dataset.height() > 0 && dataset.width() > 0, "dataset.height/width", "must be positive",
                dataset.height() + "x" + dataset.width());
        require(p, dataset.resizeShorter() >= 0, "dataset.resize_shorter", "must be >= 0 pixels (0: just cover the size)",
                dataset.resizeShorter());
        require(p, dataset.resizeShorter() == 0 || dataset.resizeShorter() >= Math.min(dataset.height(), dataset.width()),
                "dataset.resize_shorter", "must be at least the shorter side of dataset.height/width ("
                        + Math.min(dataset.height(), dataset.width()) + ") or 0, so that the crop fits", dataset.resizeShorter());
        requireNormalization(p, "preprocess.", dataset.channels(), preprocess.mean(), preprocess.std(), preprocess::normalization);
        if (preprocess.teacherScale() >= 0) {
            requireNormalization(p, "preprocess.teacher_", dataset.channels(), preprocess.teacherMean(), preprocess.teacherStd(),
                    preprocess::teacherNormalization);
        }
        require(p, preprocess.teacherScale() >= 0, "preprocess.teacher_scale", "must be > 0, or 0 for preprocess.scale",
                preprocess.teacherScale());
        require(p, dataset.partitions() > 0, "dataset.partitions", "must be > 0", dataset.partitions());
        require(p, !dataset.imageColumn().isBlank(), "dataset.image_column", "must name a column", dataset.imageColumn());
        require(p, !dataset.labelColumn().isBlank(), "dataset.label_column", "must name a column", dataset.labelColumn());
        require(p, teacher.epochs() > 0, "teacher.epochs", "must be > 0", teacher.epochs());
        require(p, teacher.batchSize() > 0, "teacher.batch_size", "must be > 0", teacher.batchSize());
        require(p, teacher.learningRate() > 0, "teacher.learning_rate", "must be > 0", teacher.learningRate());
        require(p, teacher.shift() >= 0, "teacher.shift", "must be >= 0 pixels", teacher.shift());
        require(p, !teacher.ensembleSeeds().contains(null) && !teacher.ensembleSeeds().contains(teacher.seed())
                && Set.copyOf(teacher.ensembleSeeds()).size() == teacher.ensembleSeeds().size(), "teacher.ensemble_seeds",
                "must be distinct seeds other than teacher.seed (" + teacher.seed() + ")", teacher.ensembleSeeds());
        requireModel(p, "teacher.architecture", "teacher.params", teacher.architecture(), teacher.params());
        requireModel(p, "distill.student", "distill.student_params", distill.student(), distill.studentParams());
        SoftLabels sl = softLabels;
        require(p, sl.batchSize() > 0, "soft_labels.batch_size", "must be > 0", sl.batchSize());
        require(p, !sl.featureTaps().contains(null), "soft_labels.feature_taps", "must be a list of tap names", sl.featureTaps());
        require(p, !(sl.featureEncoding() instanceof ColumnEncoding.TopK), "soft_labels.feature_encoding",
                "is an encoding for logits; a feature map takes " + ColumnEncoding.FEATURE_ALLOWED, String.valueOf(sl.featureEncoding()));
        sl.tapEncodings().forEach((tap, encoding) -> {
            require(p, sl.featureTaps().contains(tap), "soft_labels.tap_encodings." + tap,
                    "names no tap of soft_labels.feature_taps " + sl.featureTaps(), encoding.configName());
            require(p, !(encoding instanceof ColumnEncoding.TopK), "soft_labels.tap_encodings." + tap,
                    "is an encoding for logits; a feature map takes " + ColumnEncoding.FEATURE_ALLOWED, encoding.configName());
        });
        require(p, !sl.ensembleTeachers().contains(null), "soft_labels.ensemble_teachers", "must be a list of model URIs",
                sl.ensembleTeachers());
        require(p, sl.views() >= 0 && sl.views() <= 64, "soft_labels.views", "must be in [0, 64] (0 = no augmented views)", sl.views());
        require(p, sl.viewShift() >= 0, "soft_labels.view_shift", "must be >= 0 pixels", sl.viewShift());
        require(p, sl.teacherOnnx() == null || sl.backend() != LabellingBackend.DL4J, "soft_labels.teacher_onnx",
                "needs soft_labels.backend onnx or auto (DL4J cannot run an ONNX file)", sl.teacherOnnx());
        require(p, sl.teacherOnnx() == null || !sl.teacherOnnx().isBlank(), "soft_labels.teacher_onnx",
                "must be a path or URI, or left out", sl.teacherOnnx());
        require(p, sl.teacherModel() == null || !sl.teacherModel().isBlank(), "soft_labels.teacher_model",
                "must be a path or URI, or left out", sl.teacherModel());
        require(p, sl.teacherModel() == null || sl.teacherOnnx() == null, "soft_labels.teacher_model",
                "and soft_labels.teacher_onnx both name a teacher: set only one", sl.teacherModel());
        Distill d = distill;
        boolean knownMethod = Methods.isExpression(d.method());
        require(p, knownMethod, "distill.method", "must be one of " + Methods.expressionNames()
                + ", or distillation methods joined by '+' (e.g. kd+rkd)", d.method());
        if (knownMethod) {
            try {
                studentObjective();
            } catch (IllegalArgumentException e) {
                p.add((d.objective().isEmpty() ? "distill.method " : "distill.objective ") + e.getMessage());
            }
        }
        require(p, d.temperature() > 0, "distill.temperature", "must be > 0", d.temperature());
        require(p, d.alpha() >= 0 && d.alpha() <= 1, "distill.alpha", "must be in [0, 1]", d.alpha());
        require(p, d.epochs() > 0, "distill.epochs", "must be > 0", d.epochs());
        require(p, d.batchSizePerWorker() > 0, "distill.batch_size_per_worker", "must be > 0", d.batchSizePerWorker());
        require(p, d.averagingFrequency() > 0, "distill.averaging_frequency", "must be > 0", d.averagingFrequency());
        require(p, d.checkpointMinutes() >= 0, "distill.checkpoint_minutes", "must be >= 0", d.checkpointMinutes());
        require(p, d.checkpointSteps() >= 0, "distill.checkpoint_steps", "must be >= 0", d.checkpointSteps());
        require(p, d.preciseBnExamples() >= 0, "distill.precise_bn_examples", "must be >= 0 (0: keep the moving averages)",
                d.preciseBnExamples());
        require(p, d.learningRate() > 0, "distill.learning_rate", "must be > 0", d.learningRate());
        require(p, d.workers() >= 0, "distill.workers", "must be >= 0 (0 = one per executor core)", d.workers());
        require(p, d.minLearningRate() >= 0 && d.minLearningRate() <= d.learningRate(), "distill.min_learning_rate",
                "must be in [0, distill.learning_rate]", d.minLearningRate());
        require(p, d.lrStepEpochs() > 0, "distill.lr_step_epochs", "must be > 0", d.lrStepEpochs());
        require(p, d.lrGamma() > 0 && d.lrGamma() <= 1, "distill.lr_gamma", "must be in (0, 1]", d.lrGamma());
        require(p, d.validationFraction() >= 0 && d.validationFraction() < 0.5, "distill.validation_fraction",
                "must be in [0, 0.5) (0 = no validation split)", d.validationFraction());
        require(p, d.earlyStoppingPatience() >= 0, "distill.early_stopping_patience", "must be >= 0 (0 = off)",
                d.earlyStoppingPatience());
        require(p, d.earlyStoppingPatience() == 0 || d.validationFraction() > 0, "distill.early_stopping_patience",
                "needs a validation split: set distill.validation_fraction (e.g. 0.1) or the patience to 0", d.earlyStoppingPatience());
        require(p, retrain.model() != null && retrain.model().matches("[A-Za-z0-9][A-Za-z0-9._-]*"), "retrain.model",
                "must be a name of letters, digits, '.', '_' or '-'", retrain.model());
        require(p, retrain.minImprovement() > -1 && retrain.minImprovement() < 1, "retrain.min_improvement",
                "must be an accuracy fraction in (-1, 1), e.g. 0.005 for half a point", retrain.minImprovement());
        require(p, retrain.registry() == null || !retrain.registry().isBlank(), "retrain.registry", "must be a path or URI, or left out",
                retrain.registry());
        return p;
    }

    /** The model-zoo architecture exists and takes these parameters (the learning rate is the section's own key). */
    private static void requireModel(List<String> problems, String nameKey, String paramsKey, String name, Map<String, Object> params) {
        Architecture architecture;
        try {
            architecture = ModelZoo.architecture(name);
        } catch (IllegalArgumentException e) {
            problems.add(nameKey + " " + e.getMessage());
            return;
        }
        if (params.containsKey(ModelParams.LEARNING_RATE)) {
            problems.add(paramsKey + " sets " + ModelParams.LEARNING_RATE + ": set the section's learning_rate key instead");
            return;
        }
        try {
            ModelParams.of(architecture, params);
        } catch (IllegalArgumentException e) {
            problems.add(paramsKey + " " + e.getMessage());
        }
    }

    /** A normalisation that can be built, with a mean and std per channel of the images (or none). */
    private static void requireNormalization(List<String> problems, String prefix, int channels, List<Double> mean, List<Double> std,
            java.util.function.Supplier<Normalization> normalization) {
        require(problems, mean.isEmpty() || mean.size() == channels, prefix + "mean",
                "must have one value per channel of the images (dataset.channels: " + channels + "), or none", mean);
        require(problems, std.isEmpty() || std.size() == channels, prefix + "std",
                "must have one value per channel of the images (dataset.channels: " + channels + "), or none", std);
        try {
            normalization.get();
        } catch (IllegalArgumentException e) {
            problems.add(prefix.substring(0, prefix.length() - 1) + ": " + e.getMessage());
        }
    }

    private static void require(List<String> problems, boolean ok, String key, String rule, Object value) {
        if (!ok) {
            problems.add(key + " " + rule + ", got " + (value instanceof String s ? "'" + s + "'" : value));
        }
    }
}
