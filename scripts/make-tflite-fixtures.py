# Builds small TFLite models exercising ops/options the MediaPipe models do
# not (asymmetric SAME padding, depth multiplier, dilation, avg pool, fused
# activations, MUL/SUB/LOGISTIC/TANH/PADV2, NCHW-side broadcasting) and
# records TFLite-interpreter references next to them in tests/data/vision/.
# Needs Python 3.11 with numpy, flatbuffers and ai-edge-litert (pip, in a virtualenv):
#   python scripts/make-tflite-fixtures.py
import json, os
import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as S
from ai_edge_litert.interpreter import Interpreter

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out_dir = f"{root}/tests/data/vision"
rng = np.random.default_rng(7)
OP, OPT, ACT = S.BuiltinOperator, S.BuiltinOptions, S.ActivationFunctionType


class Builder:
    def __init__(self):
        self.tensors, self.buffers, self.ops, self.codes = [], [S.BufferT()], [], []

    def tensor(self, name, shape, data=None, dtype=S.TensorType.FLOAT32):
        t = S.TensorT()
        t.name, t.shape, t.type = name, list(shape), dtype
        if data is not None:
            b = S.BufferT()
            b.data = np.ascontiguousarray(data).view(np.uint8).ravel().tolist()
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        return len(self.tensors) - 1

    def const(self, name, arr, f16=False):
        arr = np.asarray(arr, np.float32)
        if not f16:
            return self.tensor(name, arr.shape, arr)
        h = self.tensor(name + "_f16", arr.shape, arr.astype(np.float16), S.TensorType.FLOAT16)
        out = self.tensor(name, arr.shape)
        self.op(OP.DEQUANTIZE, [h], [out])
        return out

    def op(self, code, ins, outs, opt_type=0, opt=None):
        if code not in self.codes:
            self.codes.append(code)
        o = S.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.codes.index(code), ins, outs
        o.builtinOptionsType, o.builtinOptions = opt_type, opt
        self.ops.append(o)

    def finish(self, inputs, outputs):
        g = S.SubGraphT()
        g.tensors, g.inputs, g.outputs, g.operators, g.name = self.tensors, inputs, outputs, self.ops, "main"
        m = S.ModelT()
        m.version, m.subgraphs, m.buffers, m.description = 3, [g], self.buffers, "synthetic"
        m.operatorCodes = []
        for c in self.codes:
            oc = S.OperatorCodeT()
            oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = c, min(c, 127), 1
            m.operatorCodes.append(oc)
        fb = flatbuffers.Builder(1024)
        fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())


def opts(cls, **kw):
    o = cls()
    for k, v in kw.items():
        setattr(o, k, v)
    return o


def synthetic_ops():
    b = Builder()
    x = b.tensor("image", [1, 8, 10, 3])
    # 8x10 stride 2 SAME: pads (0,1) rows, (0,1) cols -> TFLite's asymmetric case.
    w = b.const("conv/w", rng.normal(0, 0.5, (4, 3, 3, 3)))
    cb = b.const("conv/b", rng.normal(0, 0.1, 4))
    c = b.tensor("conv", [1, 4, 5, 4])
    b.op(OP.CONV_2D, [x, w, cb], [c], OPT.Conv2DOptions,
         opts(S.Conv2DOptionsT, padding=S.Padding.SAME, strideW=2, strideH=2,
              fusedActivationFunction=ACT.RELU6))
    # Depth multiplier 2, dilation 2, fused RELU, float16 weights.
    dw = b.const("dw/w", rng.normal(0, 0.5, (1, 3, 3, 8)), f16=True)
    db = b.const("dw/b", rng.normal(0, 0.1, 8), f16=True)
    d = b.tensor("dw", [1, 4, 5, 8])
    b.op(OP.DEPTHWISE_CONV_2D, [c, dw, db], [d], OPT.DepthwiseConv2DOptions,
         opts(S.DepthwiseConv2DOptionsT, padding=S.Padding.SAME, strideW=1, strideH=1,
              depthMultiplier=2, dilationWFactor=2, dilationHFactor=2,
              fusedActivationFunction=ACT.RELU))
    a = b.tensor("avg", [1, 2, 3, 8])
    b.op(OP.AVERAGE_POOL_2D, [d], [a], OPT.Pool2DOptions,
         opts(S.Pool2DOptionsT, padding=S.Padding.SAME, strideW=2, strideH=2,
              filterWidth=3, filterHeight=3))
    m = b.tensor("mul", [1, 2, 3, 8])
    b.op(OP.MUL, [a, b.const("scale", rng.normal(1, 0.5, 8))], [m], OPT.MulOptions,
         opts(S.MulOptionsT, fusedActivationFunction=ACT.NONE))
    s = b.tensor("sub", [1, 2, 3, 8])
    b.op(OP.SUB, [m, b.const("offset", rng.normal(0, 0.5, (3, 8)))], [s], OPT.SubOptions,
         opts(S.SubOptionsT, fusedActivationFunction=ACT.NONE))
    p = b.tensor("prelu", [1, 2, 3, 8])
    b.op(OP.PRELU, [s, b.const("alpha", rng.uniform(0, 0.5, (1, 1, 8)))], [p])
    lg = b.tensor("sigmoid", [1, 2, 3, 8])
    b.op(OP.LOGISTIC, [p], [lg])
    cat = b.tensor("cat", [1, 2, 3, 16])
    b.op(OP.CONCATENATION, [lg, a], [cat], OPT.ConcatenationOptions,
         opts(S.ConcatenationOptionsT, axis=-1, fusedActivationFunction=ACT.NONE))
    pads = b.tensor("pads", [4, 2], np.array([[0, 0], [1, 0], [0, 2], [0, 0]], np.int32), S.TensorType.INT32)
    pv = b.tensor("padded", [1, 3, 5, 16])
    b.op(OP.PADV2, [cat, pads, b.const("pad_value", np.float32(-0.5))], [pv])
    mp = b.tensor("maxpool", [1, 2, 4, 16])
    b.op(OP.MAX_POOL_2D, [pv], [mp], OPT.Pool2DOptions,
         opts(S.Pool2DOptionsT, padding=S.Padding.VALID, strideW=1, strideH=1,
              filterWidth=2, filterHeight=2))
    feat = b.tensor("feat", [1, 2, 4, 16])
    b.op(OP.TANH, [mp], [feat])
    flat = b.tensor("flat", [1, 128])
    b.op(OP.RESHAPE, [feat], [flat], OPT.ReshapeOptions, opts(S.ReshapeOptionsT, newShape=[1, 128]))
    biased = b.tensor("biased", [1, 128])
    b.op(OP.ADD, [flat, b.const("bias", rng.normal(0, 1, 128))], [biased], OPT.AddOptions,
         opts(S.AddOptionsT, fusedActivationFunction=ACT.RELU_N1_TO_1))
    # feat * 8 (scalar constant) so that RELU6 actually clips.
    x8 = b.tensor("feat_x8", [1, 2, 4, 16])
    b.op(OP.MUL, [feat, b.const("eight", np.float32(8.0))], [x8], OPT.MulOptions, S.MulOptionsT())
    r6 = b.tensor("relu6", [1, 2, 4, 16])
    b.op(OP.RELU6, [x8], [r6])
    return b.finish([x], [feat, biased, r6])


def softmax():
    b = Builder()
    x, y = b.tensor("x", [1, 4]), b.tensor("y", [1, 4])
    b.op(OP.SOFTMAX, [x], [y], OPT.SoftmaxOptions, opts(S.SoftmaxOptionsT, beta=1.0))
    return b.finish([x], [y])


def reference(name, model):
    path = f"{out_dir}/{name}.tflite"
    open(path, "wb").write(model)
    it = Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    n = int(np.prod(inp["shape"]))
    it.set_tensor(inp["index"], (np.sin(0.01 * np.arange(n)) * 0.9).astype(np.float32).reshape(inp["shape"]))
    it.invoke()
    outs = []
    for o in it.get_output_details():
        v = it.get_tensor(o["index"]).astype(np.float64)
        outs.append({"name": o["name"], "shape": [int(d) for d in o["shape"]], "sum": float(v.sum()),
                     "abs_sum": float(np.abs(v).sum()), "values": [float(f) for f in v.ravel()]})
        print(name, o["name"], o["shape"], v.min(), v.max())
    doc = {"model": name, "input": {"name": inp["name"], "shape": [int(d) for d in inp["shape"]]}, "outputs": outs}
    json.dump(doc, open(f"{out_dir}/{name}.json", "w"))


reference("synthetic_ops", synthetic_ops())
open(f"{out_dir}/softmax.tflite", "wb").write(softmax())
