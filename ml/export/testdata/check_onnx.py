"""Checks an ONNX model with onnx.checker (full_check: shape inference too)
and prints its opset, inputs, outputs and metadata as JSON."""
import json
import sys

import onnx

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
print(json.dumps({
    "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
    "inputs": [i.name for i in model.graph.input],
    "outputs": [o.name for o in model.graph.output],
    "ops": sorted({n.op_type for n in model.graph.node}),
    "metadata": {p.key: p.value for p in model.metadata_props},
}))
