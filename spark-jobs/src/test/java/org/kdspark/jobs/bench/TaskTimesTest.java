package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;

/** The task times of one piece of driver code: its Spark jobs' tasks only, and the cores' idle time from them. */
class TaskTimesTest {

    private final SparkSession spark = TestSpark.session();

    @Test
    void countsTheTasksOfTheGroupsJobsOnly() {
        long[] wall = new long[1];
        TaskTimes.Measured<Long> m = TaskTimes.of(spark.sparkContext(), "task-times-test", 2, () -> {
            long start = System.nanoTime();
            // two jobs in the group: 3 + 4 tasks, each sleeping 100 ms
            spark.range(0, 3, 1, 3).javaRDD().foreach(x -> Thread.sleep(100));
            long n = spark.range(0, 4, 1, 4).javaRDD().map(x -> {
                Thread.sleep(100);
                return x;
            }).count();
            wall[0] = System.nanoTime() - start;
            return n;
        }, n -> wall[0] / 1e9);
        // a job after the group's: not counted
        spark.range(0, 5, 1, 5).count();

        Map<String, Object> t = m.taskTimes();
        assertEquals(4L, m.result());
        assertEquals(7, t.get("tasks"), t.toString());
        double taskSeconds = (Double) t.get("task_seconds");
        assertTrue(taskSeconds >= 7 * 0.1, t.toString());
        assertTrue((Double) t.get("run_seconds") <= taskSeconds, t.toString());
        // sleeping is not CPU: the task threads' CPU time is below their run time by at least half the 0.7 s slept
        assertTrue((Double) t.get("cpu_seconds") < (Double) t.get("run_seconds") - 0.35, t.toString());
        double wallSeconds = wall[0] / 1e9;
        assertEquals(2 * wallSeconds - taskSeconds, (Double) t.get("idle_core_seconds"), 1e-9);
        assertEquals(taskSeconds / (2 * wallSeconds), (Double) t.get("busy_fraction"), 1e-9);
        assertTrue((Double) t.get("busy_fraction") <= 1.0, t.toString());
        // the two parts of the idle time: outside the tasks' span (both cores) and inside it
        double outside = (Double) t.get("outside_tasks_seconds");
        assertTrue(outside > 0 && outside < wallSeconds, t.toString());
        assertEquals((Double) t.get("idle_core_seconds"), 2 * outside + (Double) t.get("span_idle_core_seconds"), 1e-9);
        // the JVM's CPU time includes the tasks' own
        assertTrue((Double) t.get("jvm_cpu_seconds") >= (Double) t.get("cpu_seconds"), t.toString());
        // the JIT compiler's compile time over the work: never negative, at most its threads' share of the wall clock
        double jit = (Double) t.get("jit_seconds");
        int compilerThreads = Integer.parseInt(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("CICompilerCount").getValue());
        assertTrue(jit >= 0 && jit <= compilerThreads * wallSeconds + 0.05, t.toString());
    }
}
