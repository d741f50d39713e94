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
}
