"""nnbuilder: build a neural network by drawing it, train it live, export it."""

__version__ = "0.1.0"
