package org.kdspark.jobs.teacher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kdspark.kd.data.InputSpec;
import org.kdspark.kd.data.Normalization;
import org.kdspark.kd.error.UserInputException;

/** An ONNX file that declares its input (this project's exports do) is fed only that input. */
class TeacherChecksTest {

    private static final InputSpec IMAGENET = new InputSpec(3, 32, 32, Normalization.IMAGENET);

    @Test
    void anOnnxTeacherDeclaringAnotherInputIsRefusedNamingTheKeysToSet() {
        assertDoesNotThrow(() -> TeacherChecks.requireDeclaredInput(null, IMAGENET), "a file that declares nothing is taken as given");
        assertDoesNotThrow(() -> TeacherChecks.requireDeclaredInput(IMAGENET.toString(), IMAGENET));

        UserInputException norm = assertThrows(UserInputException.class,
                () -> TeacherChecks.requireDeclaredInput(IMAGENET.toString(), IMAGENET.geometry()));
        assertTrue(norm.getMessage().contains("normalised as mean=0.485,0.456,0.406;std=0.229,0.224,0.225")
                && norm.getMessage().contains("would be fed [0, 1] rgb") && norm.getMessage().contains("preprocess.teacher_mean"),
                norm.getMessage());

        UserInputException size = assertThrows(UserInputException.class,
                () -> TeacherChecks.requireDeclaredInput("3x64x64", new InputSpec(3, 32, 32)));
        assertTrue(size.getMessage().contains("takes 3x64x64 images") && size.getMessage().contains("dataset.channels/height/width 3/64/64"),
                size.getMessage());
    }
}
