package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.AllReduceTopology;

/** The all-reduce bench on the test session's two slots: its figures are the sockets' bytes, near the analytic model. */
class AllReduceBenchTest {

    @Test
    @SuppressWarnings("unchecked")
    void itReportsTheBusiestWorkersBytesPerStepForStarAndRing() {
        Map<String, Object> r = AllReduceBench.run(TestSpark.session(), List.of(1, 2), List.of(10_000), 2);
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("runs");
        assertEquals(4, runs.size(), "star and ring at 1 and 2 workers");
        for (Map<String, Object> run : runs) {
            long sent = ((Number) run.get("max_bytes_sent_by_any_worker_per_step")).longValue();
            long model = ((Number) run.get("model_max_bytes_sent_per_step")).longValue();
            int workers = (Integer) run.get("workers");
            assertEquals(40_000L, run.get("gradient_bytes"));
            assertEquals(workers == 1 ? 0 : 40_000L, model, run.toString());
            // frame headers on top of the model's bytes, nothing more
            assertTrue(sent >= model && sent <= model + 64, run.toString());
            assertTrue((Double) run.get("step_seconds") >= 0, run.toString());
        }
        assertEquals(15 * 400L, AllReduceBench.modelBytes(AllReduceTopology.STAR, 16, 400));
        assertEquals(2 * 15 * 400L / 16, AllReduceBench.modelBytes(AllReduceTopology.RING, 16, 400));
    }
}
