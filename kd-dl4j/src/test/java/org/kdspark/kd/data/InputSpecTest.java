package org.kdspark.kd.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InputSpecTest {

    @Test
    void parseReadsWhatToStringWrites() {
        for (InputSpec spec : new InputSpec[] {InputSpec.FASHION_MNIST, new InputSpec(3, 32, 48)}) {
            assertEquals(spec, InputSpec.parse(spec.toString()));
        }
    }

    @Test
    void parseRefusesOtherFormsNamingTheText() {
        for (String bad : new String[] {"28x28", "1x28x28x1", "1x28xabc", "", "1x28x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("1x28x28"), e.getMessage());
        }
        // the form is right but the spec is not: the constructor's message
        assertTrue(assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("2x28x28")).getMessage().contains("channels must be 1"));
    }
}
