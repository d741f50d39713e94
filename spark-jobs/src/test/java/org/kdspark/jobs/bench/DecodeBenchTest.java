package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decode bench's figures are there and sane (its timings are not checked: they are measured by hand). */
class DecodeBenchTest {

    @Test
    void everyCaseHasBothRatesAndTheirRatioAndEverySizeItsBytes() {
        Map<String, Object> r = DecodeBench.run(64, 0.01, 1);
        Map<?, ?> cases = (Map<?, ?>) r.get("cases");
        assertEquals(3, cases.size(), cases.keySet().toString());
        for (Object c : cases.values()) {
            Map<?, ?> e = (Map<?, ?>) c;
            double jdk = (Double) e.get("jdk_getrgb_images_per_s");
            double ours = (Double) e.get("decoder_images_per_s");
            assertTrue(jdk > 0 && ours > 0, e.toString());
            assertEquals(ours / jdk, (Double) e.get("ratio"), 1e-9);
        }
        Map<?, ?> storage = (Map<?, ?>) r.get("storage");
        assertEquals(java.util.Set.of("64x64", "128x128", "224x224"), storage.keySet());
        Map<?, ?> at224 = (Map<?, ?>) storage.get("224x224");
        assertEquals(3 * 224 * 224, at224.get("pixel_bytes"));
        assertTrue(((Number) at224.get("jpeg_q90_bytes")).longValue() < 3 * 224 * 224, "a JPEG is smaller than its pixels");
    }
}
