package org.kdspark.jobs.bench;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.kdspark.jobs.config.AllReduceTopology;
import org.kdspark.jobs.train.WorkerGroup;
import org.kdspark.kd.provenance.BuildInfo;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The barrier trainers' all-reduce alone ({@code kd bench allreduce}): for each number of workers, vector size and
 * topology, one Spark barrier stage of that many tasks (threads of a {@code local[N]} session here, so every byte goes
 * over loopback) sums a vector of that many floats in timed rounds, as a step of {@code distill.trainer: allreduce}
 * sums the gradient. Bytes are counted where the group writes and reads its sockets. Every task checks its result
 * against the exact sum, so a figure never comes from a wrong all-reduce.
 */
public final class AllReduceBench {

    private AllReduceBench() {
    }

    /** What one task measured: bytes sent and received per round and the seconds of each timed round. */
    record TaskFigures(int partition, long sentPerRound, long receivedPerRound, double[] roundSeconds) implements Serializable {
    }

    public static Map<String, Object> run(SparkSession spark, List<Integer> workers, List<Integer> params, int rounds) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int p : params) {
            for (int w : workers) {
                // star and ring in turn at each size, so both meet the same machine
                for (AllReduceTopology topology : List.of(AllReduceTopology.STAR, AllReduceTopology.RING)) {
                    runs.add(measure(jsc, topology, w, p, rounds));
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rounds", rounds);
        out.put("master", spark.sparkContext().master());
        out.put("runs", runs);
        out.put("code", BuildInfo.code());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.version"));
        machine.put("load_before", InferenceBench.loadAverage());
        out.put("machine", machine);
        return out;
    }

    private static Map<String, Object> measure(JavaSparkContext jsc, AllReduceTopology topology, int workers, int params, int rounds) {
        List<Integer> partitions = IntStream.range(0, workers).boxed().toList();
        ClassTag<TaskFigures> tag = ClassTag$.MODULE$.apply(TaskFigures.class);
        JavaRDD<Integer> slots = jsc.parallelize(partitions, workers);
        List<TaskFigures> tasks = JavaRDD.fromRDD(slots.rdd().barrier().mapPartitions(new Task(topology, params, rounds), false, tag), tag).collect();
        long gradientBytes = (long) Float.BYTES * params;
        long maxSent = tasks.stream().mapToLong(TaskFigures::sentPerRound).max().orElse(0);
        long maxReceived = tasks.stream().mapToLong(TaskFigures::receivedPerRound).max().orElse(0);
        // a round lasts as long as its slowest task
        double[] slowest = new double[rounds];
        for (TaskFigures t : tasks) {
            for (int r = 0; r < rounds; r++) {
                slowest[r] = Math.max(slowest[r], t.roundSeconds()[r]);
            }
        }
        double[] sorted = slowest.clone();
        Arrays.sort(sorted);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("algorithm", topology.toString());
        run.put("workers", workers);
        run.put("params", params);
        run.put("gradient_bytes", gradientBytes);
        run.put("max_bytes_sent_by_any_worker_per_step", maxSent);
        run.put("max_bytes_received_by_any_worker_per_step", maxReceived);
        run.put("max_sent_over_gradient", (double) maxSent / gradientBytes);
        run.put("model_max_bytes_sent_per_step", modelBytes(topology, workers, gradientBytes));
        run.put("step_seconds", sorted[sorted.length / 2]);
        run.put("step_seconds_range", List.of(sorted[0], sorted[sorted.length - 1]));
        run.put("loopback_gbit_per_s_busiest_worker", maxSent * 8 / 1e9 / sorted[sorted.length / 2]);
        System.err.printf("allreduce %-4s workers %2d params %,11d: busiest worker sends %.3f x the gradient, step %.4f s%n",
                topology, workers, params, (double) maxSent / gradientBytes, sorted[sorted.length / 2]);
        return run;
    }

    /** The busiest worker's bytes per step in the analytic model (frame headers left out). */
    static long modelBytes(AllReduceTopology topology, int workers, long gradientBytes) {
        return switch (topology) {
            case STAR -> (workers - 1) * gradientBytes;
            case RING -> 2 * (workers - 1) * gradientBytes / workers;
        };
    }

    /** One task: join, one warm-up round, then the timed rounds, each checked against the exact sum. */
    private static final class Task extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<TaskFigures>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final AllReduceTopology topology;
        private final int params;
        private final int rounds;

        Task(AllReduceTopology topology, int params, int rounds) {
            this.topology = topology;
            this.params = params;
            this.rounds = rounds;
        }

        @Override
        public scala.collection.Iterator<TaskFigures> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext context = BarrierTaskContext.get();
            int partition = context.partitionId();
            int workers = context.getTaskInfos().length;
            // task p gives (p + 1) * ((i mod 13) - 6): small integers, so the sum is exact in any order
            float[] values = new float[params];
            for (int i = 0; i < params; i++) {
                values[i] = (partition + 1) * ((i % 13) - 6);
            }
            float scale = workers * (workers + 1) / 2f;
            double[] seconds = new double[rounds];
            try (WorkerGroup group = WorkerGroup.join(context, topology)) {
                check(group.sum(1, false, values), scale, workers);
                long sent = group.bytesSent();
                long received = group.bytesReceived();
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    WorkerGroup.RoundSum sum = group.sum(1, false, values);
                    seconds[r] = (System.nanoTime() - t0) / 1e9;
                    check(sum, scale, workers);
                }
                TaskFigures figures = new TaskFigures(partition, (group.bytesSent() - sent) / rounds, (group.bytesReceived() - received) / rounds, seconds);
                return JavaConverters.asScalaIterator(List.of(figures).iterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void check(WorkerGroup.RoundSum sum, float scale, int workers) {
            float[] v = sum.values();
            if (v.length != params || sum.workers() != workers) {
                throw new IllegalStateException(topology + ": got " + v.length + " values from " + sum.workers() + " workers");
            }
            for (int i = 0; i < params; i++) {
                if (v[i] != scale * ((i % 13) - 6)) {
                    throw new IllegalStateException(topology + ": value " + i + " is " + v[i] + ", the exact sum is " + scale * ((i % 13) - 6));
                }
            }
        }
    }
}
