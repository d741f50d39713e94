package org.kdspark.jobs.store;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.kdspark.kd.data.ImageView;
import org.kdspark.kd.data.InputSpec;

/** Expands images into the augmented views the teacher labels ({@link ImageView}): training images only. */
public final class Views {

    private Views() {
    }

    /**
     * Each row of {@code images} (id, split, label, image_hash, pixels) as its view 0 and, for a training image, views
     * 1..{@code count} with their pixels transformed; the view and its parameters in {@link SoftLabelStore#VIEW_COLUMNS}.
     */
    public static Dataset<Row> expand(Dataset<Row> images, InputSpec spec, int count, long seed, int maxShift, boolean flip) {
        StructType in = images.schema();
        StructType out = in;
        for (org.apache.spark.sql.types.StructField f : SoftLabelStore.schema(List.of(), 1, true).fields()) {
            if (SoftLabelStore.VIEW_COLUMNS.contains(f.name())) {
                out = out.add(f);
            }
        }
        int id = in.fieldIndex(ImageTable.ID);
        int split = in.fieldIndex(ImageTable.SPLIT);
        int pixels = in.fieldIndex(ImageTable.PIXELS);
        FlatMapFunction<Row, Row> views = r -> {
            int n = ImageTable.TRAIN.equals(r.getString(split)) ? count : 0;
            List<Row> rows = new ArrayList<>(n + 1);
            for (int v = 0; v <= n; v++) {
                ImageView view = ImageView.of(seed, r.getString(id), v, maxShift, flip);
                Object[] fields = new Object[r.size() + 4];
                for (int c = 0; c < r.size(); c++) {
                    fields[c] = c == pixels && v > 0 ? view.apply((byte[]) r.get(c), spec) : r.get(c);
                }
                fields[r.size()] = view.view();
                fields[r.size() + 1] = view.dx();
                fields[r.size() + 2] = view.dy();
                fields[r.size() + 3] = view.flip();
                rows.add(RowFactory.create(fields));
            }
            return rows.iterator();
        };
        return images.flatMap(views, Encoders.row(out));
    }
}
