package org.kdspark.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;

class SessionsSqlDefaultTest {

    private static final String KEY = "spark.sql.files.minPartitionNum";

    private final SparkSession spark = TestSpark.session();

    @Test
    void theDefaultHoldsDuringTheWorkAndIsUnsetAfterItEvenOnFailure() {
        spark.conf().unset(KEY);
        List<String> seen = new ArrayList<>();
        Sessions.withSqlDefault(spark, KEY, "16", () -> seen.add(spark.conf().get(KEY)));
        assertEquals(List.of("16"), seen);
        assertFalse(spark.conf().contains(KEY));
        assertThrows(IllegalStateException.class, () -> Sessions.withSqlDefault(spark, KEY, "16", () -> {
            throw new IllegalStateException("boom");
        }));
        assertFalse(spark.conf().contains(KEY));
    }

    @Test
    void aUserSettingWinsAndStays() {
        spark.conf().set(KEY, "3");
        try {
            List<String> seen = new ArrayList<>();
            Sessions.withSqlDefault(spark, KEY, "16", () -> seen.add(spark.conf().get(KEY)));
            assertEquals(List.of("3"), seen);
            assertEquals("3", spark.conf().get(KEY));
        } finally {
            spark.conf().unset(KEY);
        }
    }
}
