"""rtoc's desktop program: RTOC's GUI on PyQt5 and pyqtgraph, written against
:class:`rtoc.frontend.LoggerView` so a local and a remote logger get the same widgets."""

__version__ = "0.1.0"
