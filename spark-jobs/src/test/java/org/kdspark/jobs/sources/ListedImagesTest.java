package org.kdspark.jobs.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kdspark.jobs.store.ImageTable;

/** The split of a listed image without a train/test folder: a stable hash of its path. */
class ListedImagesTest {

    @Test
    void hashSplitIsStableAndNearTheRequestedFraction() {
        int test = 0;
        for (int i = 0; i < 10_000; i++) {
            String split = ListedImages.hashSplit("file:/data/c/img_" + i + ".png", 0.2);
            assertEquals(split, ListedImages.hashSplit("file:/data/c/img_" + i + ".png", 0.2));
            test += split.equals(ImageTable.TEST) ? 1 : 0;
        }
        assertTrue(test > 1_700 && test < 2_300, "test share " + test);
    }
}
