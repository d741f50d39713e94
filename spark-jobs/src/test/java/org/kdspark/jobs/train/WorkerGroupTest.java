package org.kdspark.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kdspark.jobs.config.AllReduceTopology;

/**
 * Ring and star summing on loopback, one thread per task: every task gets the same sums, bit for bit, equal to the
 * exact sum; tasks with nothing to contribute are left out of it; the bytes on the sockets follow the analytic model.
 */
class WorkerGroupTest {

    /** What every task gives in one round. */
    private record Input(int examples, boolean more, float[] values) {
    }

    /** The stage's one all-gather, for threads. */
    private static final class Gather implements Function<String, String[]> {
        private final String[] posted;
        private final CyclicBarrier barrier;
        private final ThreadLocal<Integer> partition = new ThreadLocal<>();

        Gather(int workers) {
            posted = new String[workers];
            barrier = new CyclicBarrier(workers);
        }

        @Override
        public String[] apply(String mine) {
            posted[partition.get()] = mine;
            try {
                barrier.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return posted.clone();
        }
    }

    /** Runs {@code rounds} (each a list of inputs by task) on {@code workers} threads; results by round, then task. */
    private static List<List<WorkerGroup.RoundSum>> run(AllReduceTopology topology, List<List<Input>> rounds, long[][] bytes) throws Exception {
        int workers = rounds.get(0).size();
        Gather gather = new Gather(workers);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<List<WorkerGroup.RoundSum>>> tasks = new ArrayList<>();
            for (int p = 0; p < workers; p++) {
                int partition = p;
                tasks.add(pool.submit(() -> {
                    gather.partition.set(partition);
                    List<WorkerGroup.RoundSum> mine = new ArrayList<>();
                    try (WorkerGroup group = WorkerGroup.join(partition, workers, "127.0.0.1", topology, gather)) {
                        for (List<Input> round : rounds) {
                            Input in = round.get(partition);
                            mine.add(group.sum(in.examples(), in.more(), in.values()));
                        }
                        if (bytes != null) {
                            bytes[partition] = new long[] {group.bytesSent(), group.bytesReceived()};
                        }
                    }
                    return mine;
                }));
            }
            List<List<WorkerGroup.RoundSum>> byTask = new ArrayList<>();
            for (Future<List<WorkerGroup.RoundSum>> t : tasks) {
                byTask.add(t.get(60, TimeUnit.SECONDS));
            }
            List<List<WorkerGroup.RoundSum>> byRound = new ArrayList<>();
            for (int r = 0; r < rounds.size(); r++) {
                List<WorkerGroup.RoundSum> round = new ArrayList<>();
                for (List<WorkerGroup.RoundSum> task : byTask) {
                    round.add(task.get(r));
                }
                byRound.add(round);
            }
            return byRound;
        } finally {
            pool.shutdownNow();
        }
    }

    private static float[] integers(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            // small integers: their float sums are exact in any order
            values[i] = random.nextInt(2001) - 1000;
        }
        return values;
    }

    @ParameterizedTest(name = "{0}, {1} workers, {2} values")
    @CsvSource({"RING, 1, 10", "RING, 2, 1001", "RING, 3, 1000", "RING, 4, 3", "RING, 5, 12345", "RING, 8, 64",
            "STAR, 1, 10", "STAR, 3, 1000", "STAR, 5, 12345"})
    void everyTaskGetsTheExactSumOfTheContributingTasks(AllReduceTopology topology, int workers, int n) throws Exception {
        Random random = new Random(workers * 31L + n);
        List<List<Input>> rounds = new ArrayList<>();
        // round 0: everyone contributes; round 1: task 1 (or the only one) has nothing; round 2: nobody has anything
        for (int r = 0; r < 3; r++) {
            List<Input> round = new ArrayList<>();
            for (int p = 0; p < workers; p++) {
                boolean idle = r == 2 || (r == 1 && p == Math.min(1, workers - 1));
                round.add(idle ? new Input(0, false, new float[0]) : new Input(8 + p, r == 0 && p == workers - 1, integers(random, n)));
            }
            rounds.add(round);
        }
        List<List<WorkerGroup.RoundSum>> results = run(topology, rounds, null);
        for (int r = 0; r < rounds.size(); r++) {
            float[] expected = new float[n];
            int examples = 0;
            int contributing = 0;
            boolean more = false;
            for (Input in : rounds.get(r)) {
                more |= in.more();
                if (in.examples() > 0) {
                    examples += in.examples();
                    contributing++;
                    for (int i = 0; i < n; i++) {
                        expected[i] += in.values()[i];
                    }
                }
            }
            if (contributing == 0) {
                expected = new float[0];
            }
            for (WorkerGroup.RoundSum got : results.get(r)) {
                assertArrayEquals(expected, got.values(), "round " + r);
                assertEquals(examples, got.examples(), "round " + r);
                assertEquals(contributing, got.workers(), "round " + r);
                assertEquals(more, got.anyMore(), "round " + r);
            }
        }
    }

    @Test
    void theRingGivesEveryTaskTheSameFloatsWhateverTheRoundingOfTheSums() throws Exception {
        Random random = new Random(3);
        List<Input> round = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            float[] values = new float[777];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            round.add(new Input(4, false, values));
        }
        List<WorkerGroup.RoundSum> first = run(AllReduceTopology.RING, List.of(round), null).get(0);
        for (WorkerGroup.RoundSum got : first) {
            assertArrayEquals(first.get(0).values(), got.values(), "bit for bit on every task");
        }
        // and the same again in another run: a resumed run sums as the uninterrupted one did
        assertArrayEquals(first.get(0).values(), run(AllReduceTopology.RING, List.of(round), null).get(0).get(3).values());
    }

    @ParameterizedTest(name = "{0} workers")
    @CsvSource({"2", "4", "8"})
    void eachTaskOfTheRingSendsUnderTwiceTheVectorWhileTheStarsHubSendsItToEveryOther(int workers) throws Exception {
        int n = 100_000;
        long vector = (long) Float.BYTES * n;
        List<Input> round = new ArrayList<>();
        for (int p = 0; p < workers; p++) {
            round.add(new Input(1, false, new float[n]));
        }
        long[][] ring = new long[workers][];
        run(AllReduceTopology.RING, List.of(round), ring);
        long[][] star = new long[workers][];
        run(AllReduceTopology.STAR, List.of(round), star);
        double model = 2.0 * (workers - 1) / workers * vector;
        for (int p = 0; p < workers; p++) {
            // the model's bytes plus frame headers (and the 8-byte hello)
            assertTrue(ring[p][0] >= model && ring[p][0] < model + 64 * workers, "ring task " + p + " sent " + ring[p][0] + ", model " + model);
            assertTrue(ring[p][1] >= model && ring[p][1] < model + 64 * workers, "ring task " + p + " received " + ring[p][1]);
        }
        assertTrue(star[0][0] >= (workers - 1) * vector, "the hub sends every other task the sum: " + star[0][0]);
        assertTrue(star[1][0] < vector + 64, "a leaf sends its vector once: " + star[1][0]);
        assertFalse(workers > 2 && ring[0][0] >= star[0][0], "above two workers the ring's busiest task sends less than the hub");
    }
}
