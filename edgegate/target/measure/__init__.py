"""Measuring a device: peak compute, DRAM bandwidth and each op class's efficiency, timed with
onnxruntime (numpy where it is absent), and running a model to compare with the prediction.

onnxruntime is an optional extra (``edgegate[measure]``); only ``runtime`` imports it, lazily.
"""
