package org.kdspark.jobs.sources;

import java.io.Serializable;
import org.kdspark.jobs.config.Interpolation;
import org.kdspark.jobs.config.KdConfig;
import org.kdspark.jobs.config.ResizeMode;
import org.kdspark.kd.data.InputSpec;

/**
 * How an image file's picture becomes the image table's pixels: converted to grey or RGB, then brought to
 * {@code height x width} by {@link ResizeMode} with a Pillow-compatible filter ({@link PillowResample}).
 *
 * @param resizeShorter {@link ResizeMode#CENTER_CROP}: the shorter side's length before the crop; 0 = just cover the size
 */
public record ImageGeometry(int channels, int height, int width, ResizeMode resize, int resizeShorter, Interpolation interpolation)
        implements Serializable {

    /** {@code dataset}'s geometry. */
    public static ImageGeometry of(KdConfig.Dataset dataset) {
        return new ImageGeometry(dataset.channels(), dataset.height(), dataset.width(), dataset.resize(), dataset.resizeShorter(),
                dataset.interpolation());
    }

    /** Scaled to {@code spec}'s size exactly, bilinear. */
    public static ImageGeometry exact(InputSpec spec) {
        return new ImageGeometry(spec.channels(), spec.height(), spec.width(), ResizeMode.EXACT, 0, Interpolation.BILINEAR);
    }

    /** The pixels made, scaled to [0, 1]. */
    public InputSpec spec() {
        return new InputSpec(channels, height, width);
    }

    /**
     * {@code planes} (one per channel, {@code w x h} each) brought to this size: one plane per channel, {@code height x
     * width} each.
     */
    byte[][] apply(byte[][] planes, int w, int h) {
        return switch (resize) {
            case EXACT -> resizeAll(planes, w, h, width, height);
            case CENTER_CROP -> centerCrop(planes, w, h);
            case PAD -> pad(planes, w, h);
        };
    }

    private byte[][] resizeAll(byte[][] planes, int w, int h, int outW, int outH) {
        byte[][] out = new byte[planes.length][];
        for (int c = 0; c < planes.length; c++) {
            out[c] = PillowResample.resize(planes[c], w, h, outW, outH, interpolation);
        }
        return out;
    }

    /** torchvision's {@code Resize(resize_shorter)} then {@code CenterCrop(height, width)}, with its roundings. */
    private byte[][] centerCrop(byte[][] planes, int w, int h) {
        int shorter = Math.min(w, h);
        int longer = Math.max(w, h);
        int target = resizeShorter;
        if (target == 0) {
            // the smallest Resize(N) after which the image covers the crop
            target = w <= h ? width : height;
            while ((long) target * longer / shorter < (w <= h ? height : width)) {
                target++;
            }
        }
        // Resize(N): the shorter side becomes N, the longer int(N * long / short); an image already at N is kept
        int newLonger = shorter == target ? longer : (int) ((long) target * longer / shorter);
        int newW = w <= h ? target : newLonger;
        int newH = w <= h ? newLonger : target;
        byte[][] scaled = resizeAll(planes, w, h, newW, newH);
        // CenterCrop: offsets int(round((size - crop) / 2)), Python's round (half to even); an image smaller than the
        // crop is padded with zeros first, as torchvision does
        int top = (int) Math.rint((newH - height) / 2.0);
        int left = (int) Math.rint((newW - width) / 2.0);
        return place(scaled, newW, newH, -left, -top);
    }

    /** Scaled to fit inside, the aspect ratio kept, centred on black. */
    private byte[][] pad(byte[][] planes, int w, int h) {
        double scale = Math.min((double) width / w, (double) height / h);
        int newW = Math.max(1, Math.min(width, (int) Math.round(w * scale)));
        int newH = Math.max(1, Math.min(height, (int) Math.round(h * scale)));
        byte[][] scaled = resizeAll(planes, w, h, newW, newH);
        return place(scaled, newW, newH, (width - newW) / 2, (height - newH) / 2);
    }

    /** A {@code height x width} canvas of zeros with {@code planes} ({@code w x h}) drawn at ({@code x0}, {@code y0}). */
    private byte[][] place(byte[][] planes, int w, int h, int x0, int y0) {
        if (x0 == 0 && y0 == 0 && w == width && h == height) {
            return planes;
        }
        byte[][] out = new byte[planes.length][width * height];
        for (int c = 0; c < planes.length; c++) {
            for (int y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
                int fromX = Math.max(0, x0);
                int toX = Math.min(width, x0 + w);
                if (toX > fromX) {
                    System.arraycopy(planes[c], (y - y0) * w + (fromX - x0), out[c], y * width + fromX, toX - fromX);
                }
            }
        }
        return out;
    }
}
