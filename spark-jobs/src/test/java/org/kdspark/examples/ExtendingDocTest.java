package org.kdspark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;

/** docs/extending.md shows the example method exactly as the build compiles and tests it. */
class ExtendingDocTest {

    @Test
    void theWorkedExampleIsTheTestedClassAndItsRegistration() throws IOException {
        Path root = TestSpark.repoRoot();
        String doc = Files.readString(root.resolve("docs/extending.md"));
        int start = doc.indexOf("```java\n") + "```java\n".length();
        String shown = doc.substring(start, doc.indexOf("```\n", start));
        String source = Files.readString(root.resolve("spark-jobs/src/test/java/org/kdspark/examples/LogitMatchingMethod.java"));
        assertEquals(source, shown, "docs/extending.md must show LogitMatchingMethod.java as it is");
        String registration = Files.readString(root.resolve(
                "spark-jobs/src/test/plugin/META-INF/services/org.kdspark.kd.method.Methods$Plugin")).trim();
        assertTrue(doc.contains("```\n" + registration + "\n```"), "docs/extending.md must show the registration line " + registration);
    }
}
