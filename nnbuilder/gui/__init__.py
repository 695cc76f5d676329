"""The desktop app: the only package that imports PySide6 or pyqtgraph.

``from nnbuilder.gui import MainWindow`` gives the main window class;
``MainWindow()`` builds it with the built-in example, ``MainWindow(path)``
opens a model file.
"""


def __getattr__(name):
    if name == "MainWindow":
        from .window.mainwindow import MainWindow

        return MainWindow
    raise AttributeError(name)


__all__ = ["MainWindow"]
