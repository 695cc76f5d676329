"""The NumPy engine: graph model, layers, losses, optimizers, data, trainer, file format.

Pure NumPy: nothing here imports Qt (tests/test_architecture.py checks).
"""
