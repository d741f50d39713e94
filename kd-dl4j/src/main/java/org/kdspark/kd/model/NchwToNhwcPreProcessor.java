package org.kdspark.kd.model;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.preprocessor.BaseInputPreProcessor;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Lets a channels-last network (a Keras model imported with TensorFlow's NHWC layout) take the NCHW images every
 * other model of the project takes ({@link org.kdspark.kd.data.InputSpec#toInput}), so that callers never need to
 * know which layout a teacher was trained in. {@link TeacherModels} puts it right after the graph's input.
 *
 * <p>Stateless, with a no-argument constructor: DL4J writes it into the model JSON by class name, so a converted
 * teacher zip loads wherever this class is on the classpath (the executors).
 */
public final class NchwToNhwcPreProcessor extends BaseInputPreProcessor {

    private static final long serialVersionUID = 1L;

    @Override
    public INDArray preProcess(INDArray input, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        if (input.rank() != 4) {
            throw new IllegalArgumentException("expected NCHW images [batch, channels, height, width], got an array of shape "
                    + Arrays.toString(input.shape()));
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, input.permute(0, 2, 3, 1).dup('c'));
    }

    @Override
    public INDArray backprop(INDArray output, int miniBatchSize, LayerWorkspaceMgr workspaceMgr) {
        return workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, output.permute(0, 3, 1, 2).dup('c'));
    }

    @Override
    public InputType getOutputType(InputType inputType) {
        if (inputType instanceof InputType.InputTypeConvolutional c) {
            return InputType.convolutional(c.getHeight(), c.getWidth(), c.getChannels(), CNN2DFormat.NHWC);
        }
        throw new IllegalArgumentException("expected a convolutional (image) input type, got " + inputType);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NchwToNhwcPreProcessor;
    }

    @Override
    public int hashCode() {
        return NchwToNhwcPreProcessor.class.hashCode();
    }
}
