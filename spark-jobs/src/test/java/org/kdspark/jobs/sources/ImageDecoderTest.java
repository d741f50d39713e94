package org.kdspark.jobs.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;

/** Strict decoding: an image the decoder can only partly read is rejected with the reason, never filled in. */
class ImageDecoderTest {

    private static final InputSpec RGB = new InputSpec(3, 32, 32);

    @Test
    void wholeImagesDecodeAndCutOrCorruptOnesAreRejectedWithTheirReason() throws Exception {
        byte[] jpeg = encode("jpg");
        byte[] png = encode("png");
        assertEquals(RGB.valuesPerImage(), ImageDecoder.decode(jpeg, RGB).length);
        assertEquals(RGB.valuesPerImage(), ImageDecoder.decode(png, RGB).length);

        // the first 300 bytes of a JPEG, and its first half: the JDK's decoder fills the rest with grey unless asked
        for (byte[] cut : new byte[][] {Arrays.copyOf(jpeg, 300), Arrays.copyOf(jpeg, jpeg.length / 2)}) {
            ImageDecoder.UndecodableImageException e = assertThrows(ImageDecoder.UndecodableImageException.class,
                    () -> ImageDecoder.decode(cut, RGB));
            assertTrue(e.getMessage().contains("JPEG") || e.getMessage().contains("undecodable"), e.getMessage());
        }
        ImageDecoder.UndecodableImageException half = assertThrows(ImageDecoder.UndecodableImageException.class,
                () -> ImageDecoder.decode(Arrays.copyOf(jpeg, jpeg.length / 2), RGB));
        assertTrue(half.getMessage().startsWith("corrupt JPEG image: ") && half.getMessage().contains("EOI"), half.getMessage());

        // one flipped byte inside the image data: the JDK's decoder ignores the chunk's CRC
        byte[] flipped = png.clone();
        flipped[png.length / 2] ^= 0x5a;
        ImageDecoder.UndecodableImageException crc = assertThrows(ImageDecoder.UndecodableImageException.class,
                () -> ImageDecoder.decode(flipped, RGB));
        assertEquals("corrupt PNG image: chunk IDAT fails its CRC check", crc.getMessage());
        ImageDecoder.UndecodableImageException cutPng = assertThrows(ImageDecoder.UndecodableImageException.class,
                () -> ImageDecoder.decode(Arrays.copyOf(png, png.length - 20), RGB));
        assertTrue(cutPng.getMessage().contains("truncated"), cutPng.getMessage());
    }

    private static byte[] encode(String format) throws IOException {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(7);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, r.nextInt(0xFFFFFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }

    @Test
    void greyImagesKeepTheirStoredValuesAsPillowGivesThem() throws Exception {
        // the JDK's getRGB passes a grey image through its linear grey colour space: 10 comes out as 56, 128 as 188
        BufferedImage grey = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        int[] values = {10, 60, 128, 200};
        for (int x = 0; x < 4; x++) {
            grey.getRaster().setSample(x, 0, 0, values[x]);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(grey, "png", png);
        byte[] asGrey = ImageDecoder.decode(png.toByteArray(), new InputSpec(1, 1, 4));
        byte[] asRgb = ImageDecoder.decode(png.toByteArray(), new InputSpec(3, 1, 4));
        for (int x = 0; x < 4; x++) {
            assertEquals(values[x], asGrey[x] & 0xFF, "grey pixel " + x);
            for (int c = 0; c < 3; c++) {
                assertEquals(values[x], asRgb[c * 4 + x] & 0xFF, "channel " + c + " of pixel " + x);
            }
        }
    }
}
