package org.kdspark.jobs.sources;

import java.util.ArrayList;
import java.util.List;

/** Class names of the IDX datasets, for reports; other IDX sets get "0".."n-1". */
public final class FashionMnistClasses {

    static final List<String> FASHION_MNIST = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private FashionMnistClasses() {
    }

    public static List<String> forDataset(String name, int numClasses) {
        if (name.toLowerCase(java.util.Locale.ROOT).contains("fashion") && numClasses <= FASHION_MNIST.size()) {
            return FASHION_MNIST;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < numClasses; i++) {
            out.add(Integer.toString(i));
        }
        return out;
    }
}
