package org.kdspark.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.Normalization;

/** The {@code preprocess} section and the resize keys of {@code dataset}: read, defaulted and refused naming the key. */
class PreprocessConfigTest {

    @Test
    void theRunsNetworksAndASuppliedTeacherEachGetTheirNormalisation() {
        KdConfig defaults = ConfigLoader.load(null, List.of());
        assertEquals(Normalization.UNIT, defaults.preprocess().normalization());
        assertEquals(Normalization.UNIT, defaults.preprocess().teacherNormalization(), "unset teacher keys: the run's normalisation");
        assertEquals(ResizeMode.EXACT, defaults.dataset().resize());
        assertEquals(Interpolation.BILINEAR, defaults.dataset().interpolation());

        KdConfig timm = ConfigLoader.load(null, List.of("dataset.channels=3", "preprocess.teacher_mean=[0.485, 0.456, 0.406]",
                "preprocess.teacher_std=[0.229, 0.224, 0.225]", "preprocess.mean=[0.5, 0.5, 0.5]", "dataset.resize=center_crop",
                "dataset.resize_shorter=32"));
        assertEquals(Normalization.IMAGENET, timm.preprocess().teacherNormalization());
        assertEquals(List.of(0.5, 0.5, 0.5), timm.preprocess().normalization().mean());
        assertEquals(List.of(), timm.preprocess().normalization().std());

        KdConfig caffe = ConfigLoader.load(null, List.of("dataset.channels=3", "preprocess.teacher_channel_order=bgr",
                "preprocess.teacher_scale=1", "preprocess.teacher_mean=[103.94, 116.78, 123.68]"));
        Normalization n = caffe.preprocess().teacherNormalization();
        assertEquals(Normalization.ChannelOrder.BGR, n.order());
        assertEquals(1.0, n.scale());
        assertEquals(Normalization.ChannelOrder.RGB, caffe.preprocess().normalization().order(), "the run's networks keep RGB");
    }

    @Test
    void aMeanOrStdThatDoesNotFitTheChannelsOrACropLargerThanTheResizeIsRefusedNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("dataset.channels=1",
                "preprocess.mean=[0.485, 0.456, 0.406]", "preprocess.teacher_std=[0.2, 0.2]", "preprocess.std=[0]",
                "dataset.height=32", "dataset.width=32", "dataset.resize=center_crop", "dataset.resize_shorter=28",
                "dataset.interpolation=lanczos")));
        String m = e.getMessage();
        assertTrue(m.contains("preprocess.mean must have one value per channel of the images (dataset.channels: 1)"), m);
        assertTrue(m.contains("preprocess.teacher_std must have one value per channel"), m);
        assertTrue(m.contains("std must be positive numbers"), m);
        assertTrue(m.contains("dataset.resize_shorter must be at least the shorter side of dataset.height/width (32)"), m);
        assertTrue(m.contains("dataset.interpolation must be one of [bilinear, bicubic, nearest], got 'lanczos'"), m);
    }
}
