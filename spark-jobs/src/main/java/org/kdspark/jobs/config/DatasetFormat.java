package org.kdspark.jobs.config;

/** {@code dataset.format}: how the image set is laid out, one image source per value. */
public enum DatasetFormat implements ConfigChoice {
    /** MNIST-style IDX files ({@code train-images-idx3-ubyte.gz}, ...). */
    IDX,
    /** A class-per-subfolder directory: {@code ROOT/CLASS/x.png}, or {@code ROOT/train/CLASS/...} and {@code ROOT/test/CLASS/...}. */
    FOLDER,
    /** A CSV or Parquet file of {@code path,label[,split]}. */
    MANIFEST,
    /** WebDataset tar shards of {@code KEY.jpg} + {@code KEY.cls} samples. */
    WEBDATASET,
    /** Parquet files with an image struct column {@code {bytes, path}} and a class column (a Hugging Face export). */
    PARQUET;

    @Override
    public String toString() {
        return configName();
    }
}
