#!/usr/bin/env python3
"""Writes the Keras HDF5 teachers that TeacherModelsKerasTest imports, and what they must output.

No TensorFlow is needed (nor available here): each file is written by hand with h5py in the layout Keras 2
(tf.keras 2.11, `model.save('x.h5')`) uses: root attributes keras_version, backend, model_config (JSON) and
optionally training_config; a group model_weights with attributes layer_names, backend, keras_version; one group
per layer with attribute weight_names and datasets model_weights/<layer>/<layer>/<weight>:0. Kernels are in Keras
layout (Conv2D [kh, kw, in, out], Dense [in, out]).

The expected logits (pre-softmax class scores) are computed here in float64 numpy from the same weights, on fixed
8-bit images scaled to [0, 1], and written to expected.json with the images (CHW order, as the image table holds
them). The generated files are committed, so the tests do not need h5py.

    /usr/bin/python3 make_fixtures.py      # needs python3-h5py python3-numpy (apt)
"""
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KERAS_VERSION = "2.11.0"
rng = np.random.default_rng(20261122)


def init(name):
    return {"class_name": name, "config": {"seed": None} if name == "GlorotUniform" else {}}


def conv2d(name, filters, padding, activation):
    return {"class_name": "Conv2D", "config": {
        "name": name, "trainable": True, "dtype": "float32", "filters": filters, "kernel_size": [3, 3],
        "strides": [1, 1], "padding": padding, "data_format": "channels_last", "dilation_rate": [1, 1],
        "groups": 1, "activation": activation, "use_bias": True, "kernel_initializer": init("GlorotUniform"),
        "bias_initializer": init("Zeros"), "kernel_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


def maxpool(name):
    return {"class_name": "MaxPooling2D", "config": {
        "name": name, "trainable": True, "dtype": "float32", "pool_size": [2, 2], "padding": "valid",
        "strides": [2, 2], "data_format": "channels_last"}}


def flatten(name):
    return {"class_name": "Flatten", "config": {"name": name, "trainable": True, "dtype": "float32",
                                                 "data_format": "channels_last"}}


def dense(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": init("GlorotUniform"), "bias_initializer": init("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}}


def input_layer(name, shape):
    return {"class_name": "InputLayer", "config": {"batch_input_shape": [None] + list(shape), "dtype": "float32",
                                                   "sparse": False, "ragged": False, "name": name}}


def node(layer, *inbound):
    out = dict(layer)
    out["name"] = layer["config"]["name"]
    out["inbound_nodes"] = [[[n, 0, 0, {}] for n in inbound]] if inbound else []
    return out


def write(path, model_config, weights, training_config=None):
    """weights: ordered {layer name: [(weight name, array)]}, every layer of the model (empty list if none)."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode("utf8") for n in weights])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for layer, ws in weights.items():
            lg = g.create_group(layer)
            names = [f"{layer}/{w}:0" for w, _ in ws]
            lg.attrs["weight_names"] = np.array([n.encode("utf8") for n in names]) if names else np.array([], dtype="S1")
            for n, (_, a) in zip(names, ws):
                lg.create_dataset(n, data=a.astype(np.float32))


# numpy reference ops, NHWC, float64

def np_conv(x, k, b, padding):
    if padding == "same":
        x = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    n, h, w, _ = x.shape
    oh, ow = h - 2, w - 2
    out = np.zeros((n, oh, ow, k.shape[3]))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nhwc,cf->nhwf", x[:, i:i + oh, j:j + ow, :], k[i, j])
    return out + b


def np_pool(x):
    n, h, w, c = x.shape
    x = x[:, :h // 2 * 2, :w // 2 * 2, :]
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


relu = lambda x: np.maximum(x, 0)  # noqa: E731


def weights64(*shape, scale):
    return (rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64)


def images(count, h, w):
    return rng.integers(0, 256, size=(count, h, w, 1), dtype=np.uint8)


def sequential_cnn(h, w):
    k1, b1 = weights64(3, 3, 1, 4, scale=0.5), weights64(4, scale=0.1)
    flat = ((h - 2) // 2) * ((w - 2) // 2) * 4
    k2, b2 = weights64(flat, 10, scale=0.1), weights64(10, scale=0.1)
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        input_layer("conv2d_input", (h, w, 1)), conv2d("conv2d", 4, "valid", "relu"), maxpool("max_pooling2d"),
        flatten("flatten"), dense("dense", 10, "softmax")]}, "keras_version": KERAS_VERSION, "backend": "tensorflow"}
    weights = {"conv2d": [("kernel", k1), ("bias", b1)], "max_pooling2d": [], "flatten": [],
               "dense": [("kernel", k2), ("bias", b2)]}

    def logits(x):
        a = np_pool(relu(np_conv(x, k1, b1, "valid")))
        return a.reshape(len(x), -1) @ k2 + b2
    return config, weights, logits


def functional_residual():
    k1, b1 = weights64(3, 3, 1, 4, scale=0.5), weights64(4, scale=0.1)
    k2, b2 = weights64(3, 3, 4, 4, scale=0.3), weights64(4, scale=0.1)
    k3, b3 = weights64(14 * 14 * 4, 10, scale=0.1), weights64(10, scale=0.1)
    layers = [
        node(input_layer("image", (28, 28, 1))),
        node(conv2d("conv_a", 4, "same", "relu"), "image"),
        node(conv2d("conv_b", 4, "same", "linear"), "conv_a"),
        node({"class_name": "Add", "config": {"name": "add", "trainable": True, "dtype": "float32"}}, "conv_a", "conv_b"),
        node(maxpool("pool"), "add"),
        node(flatten("flat"), "pool"),
        node(dense("scores", 10, "linear"), "flat"),
        node({"class_name": "Activation", "config": {"name": "probs", "trainable": True, "dtype": "float32",
                                                      "activation": "softmax"}}, "scores"),
    ]
    config = {"class_name": "Functional", "config": {"name": "model", "layers": layers,
                                                     "input_layers": [["image", 0, 0]], "output_layers": [["probs", 0, 0]]},
              "keras_version": KERAS_VERSION, "backend": "tensorflow"}
    weights = {"image": [], "conv_a": [("kernel", k1), ("bias", b1)], "conv_b": [("kernel", k2), ("bias", b2)],
               "add": [], "pool": [], "flat": [], "scores": [("kernel", k3), ("bias", b3)], "probs": []}
    training = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
                "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "Adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}

    def logits(x):
        a = relu(np_conv(x, k1, b1, "same"))
        s = a + np_conv(a, k2, b2, "same")
        return np_pool(s).reshape(len(x), -1) @ k3 + b3
    return config, weights, logits, training


def flat_input_dense():
    k, b = weights64(16, 10, scale=0.3), weights64(10, scale=0.1)
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        input_layer("dense_input", (16,)), dense("dense_1", 10, "softmax")]},
        "keras_version": KERAS_VERSION, "backend": "tensorflow"}
    return config, {"dense_1": [("kernel", k), ("bias", b)]}


def main():
    expected = {}
    pixels = images(4, 28, 28)
    x = pixels.astype(np.float64) / 255.0
    config, weights, logits = sequential_cnn(28, 28)
    write(os.path.join(HERE, "sequential_cnn.h5"), config, weights)
    expected["sequential_cnn.h5"] = logits(x).tolist()
    config, weights, logits, training = functional_residual()
    write(os.path.join(HERE, "functional_residual.h5"), config, weights, training)
    expected["functional_residual.h5"] = logits(x).tolist()
    config, weights, _ = sequential_cnn(14, 14)
    write(os.path.join(HERE, "sequential_cnn_14x14.h5"), config, weights)
    config, weights = flat_input_dense()
    write(os.path.join(HERE, "flat_input_dense.h5"), config, weights)
    out = {"input": "1x28x28 (channels x height x width), uint8, scaled by 1/255",
           "pixels": [p[:, :, 0].reshape(-1).tolist() for p in pixels],  # CHW with C=1
           "logits": expected}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
