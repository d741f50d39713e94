package org.kdspark.kd.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageViewTest {

    private static final InputSpec SPEC = new InputSpec(1, 3, 3);
    private static final byte[] IMAGE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test
    void flipThenShiftWithZeroFill() {
        assertArrayEquals(new byte[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, new ImageView(1, 0, 0, true).apply(IMAGE, SPEC));
        assertArrayEquals(new byte[] {0, 1, 2, 0, 4, 5, 0, 7, 8}, new ImageView(1, 1, 0, false).apply(IMAGE, SPEC), "one column right");
        assertArrayEquals(new byte[] {4, 5, 6, 7, 8, 9, 0, 0, 0}, new ImageView(1, 0, -1, false).apply(IMAGE, SPEC), "one row up");
        assertArrayEquals(new byte[] {0, 3, 2, 0, 6, 5, 0, 9, 8}, new ImageView(1, 1, 0, true).apply(IMAGE, SPEC), "flipped, then right");
        byte[] rgb = {1, 2, 3, 4, 10, 20, 30, 40, 7, 7, 7, 7};
        assertArrayEquals(new byte[] {2, 1, 4, 3, 20, 10, 40, 30, 7, 7, 7, 7}, new ImageView(1, 0, 0, true).apply(rgb, new InputSpec(3, 2, 2)),
                "every channel");
    }

    @Test
    void parametersAreAFunctionOfSeedIdAndViewAndViewZeroIsTheImage() {
        assertEquals(ImageView.ORIGINAL, ImageView.of(7, "a.png", 0, 3, true));
        assertArrayEquals(IMAGE, ImageView.ORIGINAL.apply(IMAGE, SPEC));
        assertEquals(ImageView.of(7, "a.png", 2, 3, true), ImageView.of(7, "a.png", 2, 3, true));
        Set<ImageView> seen = new HashSet<>();
        for (int v = 1; v <= 40; v++) {
            ImageView view = ImageView.of(7, "a.png", v, 2, true);
            assertTrue(Math.abs(view.dx()) <= 2 && Math.abs(view.dy()) <= 2, view.toString());
            seen.add(new ImageView(0, view.dx(), view.dy(), view.flip()));
        }
        assertTrue(seen.size() > 10, "views differ: " + seen.size());
        int differ = 0;
        for (int i = 0; i < 20; i++) {
            differ += ImageView.of(7, "img" + i, 1, 2, true).equals(ImageView.of(8, "img" + i, 1, 2, true)) ? 0 : 1;
        }
        assertTrue(differ > 10, "another seed, other views: " + differ + " of 20 differ");
        assertEquals(new ImageView(3, 0, 0, false), ImageView.of(7, "a.png", 3, 0, false), "no shift, no flip: the image");
    }
}
