package org.kdspark.jobs.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.kdspark.jobs.TestSpark;
import org.kdspark.jobs.config.Interpolation;
import org.kdspark.jobs.config.ResizeMode;

/**
 * The image table's pixels are those Pillow and torchvision make from the same file: JPEG decoding (the JDK's
 * libjpeg against Pillow's libjpeg-turbo), the grey conversion, and every filter of an exact resize and of
 * {@code Resize(N)} + {@code CenterCrop}, compared byte for byte with fixtures/pytorch/resample.json (make_fixtures.py).
 */
class PillowResampleTest {

    private static final Path FIXTURE = TestSpark.repoRoot().resolve("spark-jobs/src/test/resources/fixtures/pytorch");

    @Test
    void decodingAndResizingGivePillowsPixelsExactly() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(FIXTURE.resolve("resample.json").toFile()).get("cases");
        assertTrue(cases.size() >= 70, "fixture cases: " + cases.size());
        List<String> differing = new ArrayList<>();
        for (JsonNode c : cases) {
            int channels = c.get("mode").asText().equals("RGB") ? 3 : 1;
            int w = c.get("width").asInt();
            int h = c.get("height").asInt();
            Interpolation filter = Interpolation.valueOf(c.get("filter").asText().toUpperCase(Locale.ROOT));
            ResizeMode mode = c.get("op").asText().equals("center_crop") ? ResizeMode.CENTER_CROP : ResizeMode.EXACT;
            ImageGeometry geometry = new ImageGeometry(channels, h, w, mode, c.get("shorter").asInt(), filter);
            byte[] ours = ImageDecoder.decode(Files.readAllBytes(FIXTURE.resolve("images").resolve(c.get("file").asText())), geometry);
            byte[] pillow = Base64.getDecoder().decode(c.get("pixels").asText());
            assertEquals(pillow.length, ours.length);
            int differ = 0;
            int max = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < channels; k++) {
                        // Pillow's arrays are HWC, the table's CHW
                        int d = Math.abs((pillow[(y * w + x) * channels + k] & 0xFF) - (ours[k * h * w + y * w + x] & 0xFF));
                        differ += d > 0 ? 1 : 0;
                        max = Math.max(max, d);
                    }
                }
            }
            if (differ > 0) {
                differing.add(c.get("file").asText() + " " + c.get("mode").asText() + " " + c.get("op").asText() + " " + filter + " "
                        + w + "x" + h + ": " + differ + " values differ, by up to " + max);
            }
        }
        assertEquals(List.of(), differing);
    }

    @Test
    void padKeepsTheAspectRatioOnBlackAndCenterCropCoversTheSize() {
        // a 4x2 white image into 4x4: scaled to 4x2, rows 1 and 2, black above and below
        byte[] white = new byte[4 * 2];
        java.util.Arrays.fill(white, (byte) 255);
        ImageGeometry pad = new ImageGeometry(1, 4, 4, ResizeMode.PAD, 0, Interpolation.BILINEAR);
        byte[] padded = pad.apply(new byte[][] {white}, 4, 2)[0];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(y == 1 || y == 2 ? 255 : 0, padded[y * 4 + x] & 0xFF, "pixel " + x + "," + y);
            }
        }
        // a 6x2 image whose columns are 0..5, centre-cropped to 2x2 with no margin: scaled to 6x2 (kept), columns 2 and 3
        byte[] columns = new byte[12];
        for (int i = 0; i < 12; i++) {
            columns[i] = (byte) (i % 6);
        }
        ImageGeometry crop = new ImageGeometry(1, 2, 2, ResizeMode.CENTER_CROP, 0, Interpolation.NEAREST);
        assertEquals("[2, 3, 2, 3]", java.util.Arrays.toString(crop.apply(new byte[][] {columns}, 6, 2)[0]));
    }
}
