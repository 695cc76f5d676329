"""Run-time hook of the bundle, in place of PyInstaller's pyi_rth_pyside6.

PyInstaller's hook imports PySide6.QtCore at every start (to register a
qt.conf that points Qt at the bundle), which loads Qt and ICU: half a second
on a busy 2-core machine before `nnbuilder --version` or `train` can answer,
though only the window uses Qt. This one sets the same environment and
registers qt.conf right after PySide6.QtCore is first imported, if ever.
"""


def _install():
    import importlib.util
    import os
    import sys

    from _pyi_rth_utils import qt as qt_rth_utils

    qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")

    class QtConfAfterQtCore:
        """A finder that sees PySide6.QtCore imported once, then steps aside."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module

                def exec_then_register(module):
                    exec_module(module)
                    qt_rth_utils.create_embedded_qt_conf("PySide6", qt_path)

                spec.loader.exec_module = exec_then_register
            return spec

    sys.meta_path.insert(0, QtConfAfterQtCore())


_install()
del _install
