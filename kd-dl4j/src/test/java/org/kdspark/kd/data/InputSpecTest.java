package org.kdspark.kd.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InputSpecTest {

    @Test
    void parseReadsWhatToStringWrites() {
        for (InputSpec spec : new InputSpec[] {InputSpec.FASHION_MNIST, new InputSpec(3, 32, 48),
                new InputSpec(3, 224, 224, Normalization.IMAGENET),
                new InputSpec(3, 8, 8, new Normalization(Normalization.ChannelOrder.BGR, 1, List.of(103.94, 116.78, 123.68), List.of()))}) {
            assertEquals(spec, InputSpec.parse(spec.toString()));
        }
        // the unit normalisation keeps the text (and the store version keys) specs had before normalisations existed
        assertEquals("1x28x28", InputSpec.FASHION_MNIST.toString());
        assertEquals("3x224x224;mean=0.485,0.456,0.406;std=0.229,0.224,0.225", new InputSpec(3, 224, 224, Normalization.IMAGENET).toString());
    }

    @Test
    void parseRefusesOtherFormsNamingTheText() {
        for (String bad : new String[] {"28x28", "1x28x28x1", "1x28xabc", "", "1x28x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("1x28x28"), e.getMessage());
        }
        // the form is right but the spec is not: the constructor's message
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("2x28x28")).getMessage().contains("channels must be 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("3x8x8;mean=0.5,x,0.5")).getMessage()
                .contains("'0.5,x,0.5' is not a list of numbers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("3x8x8;gamma=2")).getMessage()
                .contains("unknown part 'gamma=2'"));
        // a mean per channel, or none
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("3x8x8;mean=0.5")).getMessage()
                .contains("mean has 1 values but the images have 3 channel(s)"));
    }

    @Test
    void toFloatsNormalisesEachChannelAsTorchvisionDoes() {
        // two 1x2 RGB images, CHW: R plane, G plane, B plane
        byte[] pixels = {0, (byte) 255, 10, 20, 30, 40, /* second image */ 1, 2, 3, 4, 5, 6};
        InputSpec unit = new InputSpec(3, 1, 2);
        float[] u = unit.toFloats(pixels, 1, 1);
        assertArrayEquals(new float[] {1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f, 5 / 255f, 6 / 255f}, u);

        InputSpec imagenet = unit.withNormalization(Normalization.IMAGENET);
        float[] n = imagenet.toFloats(pixels, 0, 1);
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        int[] raw = {0, 255, 10, 20, 30, 40};
        for (int i = 0; i < raw.length; i++) {
            // ToTensor (x / 255 in float) then Normalize ((x - mean) / std in float)
            assertEquals((raw[i] / 255f - mean[i / 2]) / std[i / 2], n[i], 0f, "value " + i);
        }

        // BGR with a [0, 255] scale: the planes are reversed, then each gets its own mean
        InputSpec caffe = unit.withNormalization(new Normalization(Normalization.ChannelOrder.BGR, 1, List.of(100.0, 50.0, 0.0), List.of()));
        assertArrayEquals(new float[] {30 - 100, 40 - 100, 10 - 50, 20 - 50, 0, 255}, caffe.toFloats(pixels, 0, 1));

        assertTrue(imagenet.sameImages(unit));
        assertEquals(unit, imagenet.geometry());
        assertFalse(imagenet.sameImages(new InputSpec(3, 2, 1)));
    }
}
