"""Hostile-input generators and a sandboxed runner for edgegate (issue 10).

* sandbox     Case/Outcome; each case runs in its own directory in a child process (forked,
              or a real ``python -m edgegate``) under resource limits and a timeout, with a
              read-only view of the rest of the filesystem where the kernel allows it; the
              outcome is classified (ok, internal-error, signal, hang, memory, injection, ...).
* wire        a small protobuf encoder, so models can carry what onnx.helper refuses (names
              that are not UTF-8, attributes of a type their op does not take).
* models      hostile ONNX model builders and rng-driven families.
* strategies  hypothesis strategies yielding whole Cases: policies, command lines of every
              command, JSON inputs, models, GitHub Actions runs.
* mutate      byte- and field-level mutation of valid models and policies.
* catalogue   named reproducers of every class, the fast regression tests' cases.

tests/test_hostile_classes.py and tests/test_hostile_properties.py run them as tests;
benchmarks/fuzz.py runs them as a campaign.
"""
