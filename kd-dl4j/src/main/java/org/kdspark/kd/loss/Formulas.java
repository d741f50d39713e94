package org.kdspark.kd.loss;

import java.math.BigDecimal;
import java.math.MathContext;

/** Number formatting for the formulas printed by {@code toString}: {@code 1 - 0.9} prints as 0.1, 4 as 4.0. */
public final class Formulas {

    private Formulas() {
    }

    /** The value to 10 significant digits, without trailing zeros, integers with ".0". */
    public static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(10)).stripTrailingZeros();
        return rounded.scale() <= 0 ? rounded.toBigInteger() + ".0" : rounded.toPlainString();
    }
}
