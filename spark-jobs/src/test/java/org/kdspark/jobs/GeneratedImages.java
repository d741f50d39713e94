package org.kdspark.jobs;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Writes small synthetic class-per-subfolder image sets: class c is a bright bar at a class-specific place. */
public final class GeneratedImages {

    private GeneratedImages() {
    }

    /** {@code perClass} images for each of {@code classes} classes under {@code root/CLASS/}, PNG and JPEG mixed. */
    public static void write(Path root, int classes, int perClass, int size, boolean rgb, long seed) throws IOException {
        Random random = new Random(seed);
        for (int c = 0; c < classes; c++) {
            Path dir = Files.createDirectories(root.resolve("class_" + c));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(size, size, rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
                Graphics2D g = img.createGraphics();
                g.setColor(Color.BLACK);
                g.fillRect(0, 0, size, size);
                g.setColor(rgb ? new Color(50 + 60 * c % 200, 255, 120) : Color.WHITE);
                int bar = Math.max(2, size / (classes + 1));
                g.fillRect(bar * c + random.nextInt(2), random.nextInt(size / 4), bar, size / 2);
                g.dispose();
                String format = i % 3 == 0 ? "jpg" : "png";
                ImageIO.write(img, format.equals("jpg") ? "jpeg" : "png", root.resolve("class_" + c).resolve("img_" + i + "." + format).toFile());
            }
        }
    }
}
