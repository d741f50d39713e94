package org.kdspark.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PeakRssTest {

    @Test
    void itReadsVmHwmInBytes() {
        assertEquals(123_456L * 1024, PeakRss.parse("Name:\tjava\nVmPeak:\t 9999999 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n"));
        assertEquals(-1, PeakRss.parse("Name:\tjava\n"));
    }

    @Test
    void thisJvmHasAPeakAtLeastItsHeapInUse() {
        long peak = PeakRss.ofThisProcess();
        Runtime rt = Runtime.getRuntime();
        assertTrue(peak >= rt.totalMemory() - rt.freeMemory(), peak + " bytes");
    }
}
