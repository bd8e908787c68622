"""Sparse initializers as the dense tensors a runtime makes of them.

A graph's ``sparse_initializer`` holds weights stored as (values, indices); ONNX Runtime
densifies each one when it loads the model, so an inference reads the dense tensor. The
loader therefore replaces each by a dense initializer of the same name, dtype and declared
shape, without values (as for a dropped payload), and every later pass sees an ordinary
initializer: it produces its name, its parameters and bytes are the dense ones.
"""

from __future__ import annotations

import onnx

from edgegate.model.order import all_graphs


def densify_sparse_initializers(model: onnx.ModelProto) -> None:
    """Replace every graph's sparse initializers by dense value-less initializers."""
    for graph in all_graphs(model):
        if isinstance(graph, onnx.GraphProto):
            for sparse in graph.sparse_initializer:
                dense = graph.initializer.add()
                dense.name = sparse.values.name
                dense.data_type = sparse.values.data_type
                dense.dims.extend(sparse.dims)
            del graph.sparse_initializer[:]
