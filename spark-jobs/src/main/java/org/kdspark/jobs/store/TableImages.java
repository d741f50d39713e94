package org.kdspark.jobs.store;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.LabeledImages;
import org.kdspark.kd.error.UserInputException;

/**
 * Brings one split of the image table to the driver as a {@link LabeledImages} block, in id order, with the table's
 * declared input ({@link ImageTable.Opened#spec()}: its normalisation is not in the rows).
 */
public final class TableImages {

    /** A block and the ids of its images, in the same order. */
    public record Collected(LabeledImages images, List<String> ids) {
    }

    private TableImages() {
    }

    public static Collected collect(Dataset<Row> table, InputSpec spec, String split) {
        return collect(table, spec, split, 0);
    }

    /** The images of {@code split} of an opened table. */
    public static Collected collect(ImageTable.Opened table, String split) {
        return collect(table.rows(), table.spec(), split, 0);
    }

    /**
     * The first {@code limit} images of {@code split} in id order ({@code limit <= 0}: all of them), as {@code spec}
     * takes them.
     */
    public static Collected collect(Dataset<Row> table, InputSpec spec, String split, int limit) {
        Dataset<Row> ordered = table.filter(functions.col(ImageTable.SPLIT).equalTo(split))
                .select(ImageTable.ID, ImageTable.LABEL, ImageTable.CHANNELS, ImageTable.HEIGHT, ImageTable.WIDTH, ImageTable.PIXELS)
                .orderBy(ImageTable.ID);
        List<Row> rows = (limit > 0 ? ordered.limit(limit) : ordered).collectAsList();
        if (rows.isEmpty()) {
            throw new UserInputException("the image table has no '" + split + "' images");
        }
        Row first = rows.get(0);
        if (!spec.sameImages(new InputSpec(first.getInt(2), first.getInt(3), first.getInt(4)))) {
            throw new IllegalStateException("the image table's rows hold " + first.getInt(2) + "x" + first.getInt(3) + "x" + first.getInt(4)
                    + " images, its provenance declares " + spec.geometry());
        }
        int n = rows.size();
        int values = spec.valuesPerImage();
        byte[] pixels = new byte[n * values];
        int[] labels = new int[n];
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            ids[i] = r.getString(0);
            labels[i] = r.getInt(1);
            System.arraycopy((byte[]) r.get(5), 0, pixels, i * values, values);
        }
        return new Collected(new LabeledImages(n, spec, pixels, labels), List.of(ids));
    }
}
