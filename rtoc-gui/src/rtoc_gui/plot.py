"""A plot of signals over local time: pyqtgraph curves fed through bucketed reads.

Each redraw reads only the visible range of each shown signal, at most two
points per pixel column (:mod:`rtoc_gui.trace`), so a signal of 10 M samples
pans like one of a thousand. While "Follow" is on, the x range keeps the
whole of the shown signals in view as samples arrive; a pan or zoom with the
mouse turns it off. Events in the visible range are vertical lines coloured
by priority. A redraw's reads (every curve and the event lines) are one read
of the link's :class:`rtoc_gui.reads.Reads`: on a remote logger off the GUI
thread, and dropped when the user moved the plot before they came.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PyQt5 import QtCore, QtGui, QtWidgets

from rtoc.frontend import EventQuery
from rtoc_gui.dragging import key_from
from rtoc_gui.legend import SignalLegend
from rtoc_gui.measure import MeasureCursor
from rtoc_gui.overview import MIN_SAMPLES as OVERVIEW_MIN
from rtoc_gui.overview import Overview, would_draw
from rtoc_gui.styles import label
from rtoc_gui.theme import EVENT_COLOURS, curve_colour
from rtoc_gui.trace import read_trace

if TYPE_CHECKING:
    from rtoc.config import GuiConfig
    from rtoc.events import Event
    from rtoc.frontend import EventPage, LoggerView
    from rtoc.signals import SignalKey
    from rtoc.storage.base import SignalInfo
    from rtoc_gui.link import Link
    from rtoc_gui.styles import PlotStyle, StyleBook

    #: What one redraw reads: (x, y, aggregated) per signal, the events in range (or None).
    PlotData = tuple[dict[SignalKey, tuple[np.ndarray, np.ndarray, bool]], EventPage | None]

log = logging.getLogger("rtoc_gui")

#: Most event lines one plot draws (the newest in range); labels only up to LABELLED.
MAX_EVENT_LINES, LABELLED = 200, 12
#: Heights of the event labels (fractions of the plot's height), taken in turn from left to
#: right, so that the labels of events close together do not cover each other.
LABEL_ROWS = (0.97, 0.9, 0.83)
#: Seconds shown around a single sample (a range needs a width).
LONE_SAMPLE_SPAN = 10.0


def read_plot(
    view: LoggerView,
    wanted: list[tuple[SignalKey, int | None, Overview | None]],
    start: float,
    end: float,
    pixels: int,
    events: EventQuery | None,
) -> PlotData:
    """The curves of ``wanted`` (key, count, overview) for ``start..end`` drawn ``pixels``
    wide, and the events ``events`` asks for; one read of the plot's, in whichever thread
    the link's reads run. ``OSError`` (the logger cannot be reached) ends it; a signal
    that cannot be read is left out, and never stops the others."""
    traces = {}
    for key, count, overview in wanted:
        try:
            traces[key] = read_trace(view, *key, start, end, pixels, count, overview)
        except OSError:
            raise
        except LookupError:  # gone since the last signal list
            continue
        except Exception as error:
            log.warning("cannot read %s: %s", label(key), error)
    return traces, None if events is None else view.event_page(events)


class PlotView(QtWidgets.QWidget):
    """One plot: a toolbar (signals menu, follow, measure), the pyqtgraph plot, its curves.

    A signal dragged here (from the signal widget or another plot's legend) is shown.
    """

    #: (key, visible) when a signal is shown or hidden here
    visibility_changed = QtCore.pyqtSignal(object, bool)
    #: (key, global position): the user asked for a signal's menu (a right click on the legend)
    menu_requested = QtCore.pyqtSignal(object, object)
    #: (key, Overview or the exception that stopped reading it), from the reading thread
    overview_read = QtCore.pyqtSignal(object, object)

    def __init__(
        self,
        link: Link,
        config: GuiConfig,
        *,
        show_new: bool,
        styles: StyleBook,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.config = config
        self.styles = styles
        #: New signals appear here by themselves (the main plot) or only when chosen.
        self.show_new = show_new
        self.visible: set[SignalKey] = set()
        self.known: dict[SignalKey, SignalInfo] = {}
        #: shown (True) or hidden when they appear: signals a restored layout names that
        #: the logger does not have yet
        self.wanted: dict[SignalKey, bool] = {}
        self.curves: dict[SignalKey, pg.PlotDataItem] = {}
        self.overviews: dict[SignalKey, Overview] = {}
        #: signals whose overview is being read now
        self.reading: set[SignalKey] = set()
        self.colours: dict[SignalKey, str] = {}
        self.event_lines: dict[str, pg.InfiniteLine] = {}
        self.follow = True
        #: the plot whose x range this one shows (None: its own)
        self.linked: PlotView | None = None
        self._setting_range = False
        #: seconds the last redraw took (read and set data), for the status and the bench
        self.last_redraw = 0.0
        self.aggregated = 0
        #: shown signals not drawn yet because their overview is being read
        self.waiting = 0

        axes = {"bottom": pg.DateAxisItem()} if config.timeAxis else {}
        self.plot = pg.PlotWidget(axisItems=axes)
        item = self.plot.getPlotItem()
        grid_x, grid_y, _ = config.grid
        if config.plotGridEnabled:
            item.showGrid(x=grid_x, y=grid_y, alpha=0.25)
        if config.plotLegendEnabled:
            # bottom left: event labels are at the top
            item.legend = SignalLegend(self.key_of, offset=(10, -10))
            item.legend.setParentItem(item.vb)
            item.legend.menu_requested.connect(self.menu_requested)
        if config.plotLabelsEnabled:
            item.setLabel("bottom", "local time" if config.timeAxis else "x")
        item.setMenuEnabled(True)
        item.hideButtons()
        self.viewbox = item.getViewBox()
        self.viewbox.setMouseEnabled(x=True, y=True)
        # the y range is set from the points each redraw reads (see _fit_y): pyqtgraph's
        # own auto range would ask every curve for its bounds again at every paint
        self.viewbox.disableAutoRange()
        self.auto_y = True
        if config.plotInverted:
            self.viewbox.invertY(True)
        self.viewbox.sigRangeChangedManually.connect(self._moved_by_user)
        self.viewbox.sigXRangeChanged.connect(self._x_range_changed)

        self.signals_button = QtWidgets.QToolButton(text="Signals")
        self.signals_button.setPopupMode(QtWidgets.QToolButton.InstantPopup)
        self.signals_menu = QtWidgets.QMenu(self.signals_button)
        self.signals_menu.aboutToShow.connect(self._fill_signals_menu)
        self.signals_button.setMenu(self.signals_menu)
        self.follow_button = QtWidgets.QToolButton(text="Follow", checkable=True, checked=True)
        self.follow_button.setToolTip(
            "Keep all shown samples in view as new ones arrive (a pan or zoom turns it off)"
        )
        self.follow_button.toggled.connect(self.set_follow)
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("plotStatus")
        self.status.setAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
        # a text of changing width must not lay out the plot again (and repaint it)
        self.status.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.signals_button)
        bar.addWidget(self.follow_button)
        self.measure = MeasureCursor(self)
        bar.addWidget(self.measure.button)
        bar.addWidget(self.measure.chooser)
        bar.addWidget(self.measure.readout)
        bar.addWidget(self.status, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)

        # drops land here, not in pyqtgraph's view, which would take and ignore them
        self.plot.setAcceptDrops(False)
        self.plot.viewport().setAcceptDrops(False)
        self.setAcceptDrops(True)
        self.overview_read.connect(self._overview_arrived)
        #: the name of this plot's reads (:class:`rtoc_gui.reads.Reads`)
        self.read_name = f"plot {id(self):x}"
        self._pending = QtCore.QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.redraw)

    # -- what is shown ----------------------------------------------------------------

    def set_visible(self, key: SignalKey, visible: bool) -> None:
        self.wanted.pop(key, None)  # chosen now: no longer as a layout said
        if visible == (key in self.visible):
            return
        if visible:
            self.visible.add(key)
        else:
            self.visible.discard(key)
            self.overviews.pop(key, None)
            curve = self.curves.pop(key, None)
            if curve is not None:
                self.plot.removeItem(curve)
        self.visibility_changed.emit(key, visible)
        self.schedule_redraw()

    def choices(self) -> dict[SignalKey, bool]:
        """Whether each signal is shown here: those the logger has, and those a restored
        layout named that have not appeared yet."""
        return {
            **self.wanted,
            **dict.fromkeys(self.known, False),
            **dict.fromkeys(self.visible, True),
        }

    def restore_choices(self, choices: dict[SignalKey, bool]) -> None:
        """Show or hide signals as a saved layout says: those the logger has now at once,
        the others when they appear."""
        for key, shown in choices.items():
            if key in self.known:
                self.set_visible(key, shown)
            else:
                self.wanted[key] = shown

    def restyle(self, key: SignalKey, style: PlotStyle) -> None:
        self.colours[key] = style.colour
        curve = self.curves.get(key)
        if curve is not None:
            style.apply(curve)

    def renamed(self, key: SignalKey, new_key: SignalKey) -> None:
        """``key`` is called ``new_key`` now: shown here if it was, in its colour."""
        if key in self.colours:
            self.colours[new_key] = self.colours.pop(key)
        if key in self.visible:
            self.set_visible(key, False)
            self.set_visible(new_key, True)

    def key_of(self, curve: object) -> SignalKey | None:
        """The signal a curve of this plot draws."""
        return next((key for key, shown in self.curves.items() if shown is curve), None)

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if key_from(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QtGui.QDragMoveEvent) -> None:
        if key_from(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        key = key_from(event.mimeData())
        if key is not None:
            event.acceptProposedAction()
            self.set_visible(key, True)

    def set_follow(self, follow: bool) -> None:
        self.follow = follow
        if follow:
            self.auto_y = True
        if self.follow_button.isChecked() != follow:
            self.follow_button.setChecked(follow)
        if follow:
            self.schedule_redraw()

    def link_x(self, other: PlotView | None) -> None:
        """Show the time range ``other`` shows, and move it along with this one (None: unlink).

        Not pyqtgraph's own x-link, which keeps the scale of pixels and so shows
        a different range in a plot of another width.
        """
        if self.linked is not None:
            self.linked.viewbox.sigXRangeChanged.disconnect(self._linked_moved)
        self.linked = other
        self.follow_button.setEnabled(other is None)
        if other is not None:
            self.set_follow(False)
            other.viewbox.sigXRangeChanged.connect(self._linked_moved)
            self._linked_moved()

    def _linked_moved(self, *_: object) -> None:
        assert self.linked is not None
        self.viewbox.setXRange(*self.linked.viewbox.viewRange()[0], padding=0)

    def _fill_signals_menu(self) -> None:
        self.signals_menu.clear()
        if not self.known:
            self.signals_menu.addAction("no signals yet").setEnabled(False)
        for key in sorted(self.known):
            action = self.signals_menu.addAction(label(key))
            action.setCheckable(True)
            action.setChecked(key in self.visible)
            action.toggled.connect(lambda on, key=key: self.set_visible(key, on))

    # -- refreshing -------------------------------------------------------------------

    def update_signals(self, infos: list[SignalInfo]) -> None:
        """The signals the logger has now; redraw (the plot timer calls this at plotRate)."""
        fresh = {info.key: info for info in infos}
        for key in sorted(fresh.keys() - self.known.keys()):
            style = self.styles.get(key)
            colour = curve_colour(len(self.colours)) if style is None else style.colour
            self.colours.setdefault(key, colour)
            if self.wanted.pop(key, self.show_new) and key not in self.visible:
                self.visible.add(key)
                self.visibility_changed.emit(key, True)
        for key in self.visible - fresh.keys():  # deleted on the logger
            self.set_visible(key, False)
        self.known = fresh
        self.redraw()

    def schedule_redraw(self) -> None:
        """Redraw soon, for something the user changed: a read under way for what was
        shown before is dropped when it comes."""
        self.link.reads.invalidate(self.read_name)
        self._pending.start()

    def _moved_by_user(self, mask: Sequence[bool] | None = None) -> None:
        """A pan or zoom with the mouse; ``mask``: whether it moved x and y."""
        if mask is None or mask[1]:
            self.auto_y = False  # the user chose a y range: keep it
        self.set_follow(False)
        self.schedule_redraw()
        if self.linked is not None:  # a pan here moves every linked plot
            self.linked.set_follow(False)
            self.linked.viewbox.setXRange(*self.viewbox.viewRange()[0], padding=0)

    def _x_range_changed(self, *_: object) -> None:
        if not self._setting_range:
            self.schedule_redraw()

    def x_span(self) -> tuple[float, float] | None:
        """First and last x of the shown signals, None when they have no samples."""
        spans = [
            (info.first, info.last)
            for key, info in self.known.items()
            if key in self.visible and info.first is not None and info.last is not None
        ]
        if not spans:
            return None
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
        if last - first <= 0:
            return first - LONE_SAMPLE_SPAN / 2, last + LONE_SAMPLE_SPAN / 2
        return first, last

    def redraw(self) -> None:
        """Read the visible range of every shown signal and draw it.

        Through the link's reads (:mod:`rtoc_gui.reads`): drawn before this returns
        on a logger in this process, when the answer comes on a remote one.
        """
        started = time.perf_counter()
        if self.follow:
            span = self.x_span()
            if span is not None:
                self._setting_range = True
                try:
                    self.viewbox.setXRange(*span, padding=0.02)
                finally:
                    self._setting_range = False
        (start, end), _ = self.viewbox.viewRange()
        if not end > start:
            return
        pixels = max(int(self.viewbox.width()), 1)
        wanted: list[tuple[SignalKey, int | None, Overview | None]] = []
        waiting = 0
        for key in sorted(self.visible):
            info = self.known.get(key)
            overview = self._overview(key, info)
            if overview is None and key in self.reading:
                assert info is not None
                if would_draw(info, start, end, pixels):
                    waiting += 1  # bucketing it all now would only delay its overview
                    continue
            wanted.append((key, None if info is None else info.count, overview))
        events = (
            EventQuery(start=start, end=end, limit=MAX_EVENT_LINES)
            if self.config.showEvents
            else None
        )
        self.link.reads.ask(
            self.read_name,
            lambda view: read_plot(view, wanted, start, end, pixels, events),
            lambda found: self._draw(found, started, waiting),
        )

    def _draw(self, found: PlotData, started: float, waiting: int) -> None:
        traces, page = found
        aggregated = 0
        for key, (x, y, coarse) in traces.items():
            if key in self.visible:
                aggregated += coarse
                self._curve(key).setData(x, y)
        self.aggregated = aggregated
        self.waiting = waiting
        self.measure.refresh()
        if self.auto_y:
            self._fit_y()
        if page is not None:
            self._draw_events(page)
        # the new ranges' transform now, not when the scene is painted: pyqtgraph applies
        # it just before a paint, whose items then ask for a second paint at once
        self.viewbox.prepareForPaint()
        self.last_redraw = time.perf_counter() - started
        self._show_status()

    def _overview(self, key: SignalKey, info: SignalInfo | None) -> Overview | None:
        """The overview of a long signal in this process, None while there is none.

        It is read in a thread of its own (half a second for 10 M samples in
        memory, longer from storage); until it arrives the visible range is
        read directly. A remote logger gets none: its reads are bucketed on
        its machine, and 65,536 buckets are megabytes on the wire.
        """
        if not self.link.local or info is None or info.count < OVERVIEW_MIN or info.first is None:
            self.overviews.pop(key, None)
            return None
        overview = self.overviews.get(key)
        if overview is not None and info.count < overview.count:  # cleared since
            del self.overviews[key]
            overview = None
        if (overview is None or overview.stale(info)) and key not in self.reading:
            self.reading.add(key)
            view = self.link.view
            threading.Thread(
                target=self._read_overview,
                args=(view, key, info),
                name=f"rtoc-gui overview {label(key)}",
                daemon=True,
            ).start()
        return overview

    def _read_overview(self, view: LoggerView, key: SignalKey, info: SignalInfo) -> None:
        """Runs in its own thread: hands the overview (or why not) to the plot's thread."""
        try:
            result: Overview | Exception = Overview.read(view, info)
        except Exception as error:  # reported in the plot's thread
            result = error
        with contextlib.suppress(RuntimeError):  # the plot was closed meanwhile
            self.overview_read.emit(key, result)

    def _overview_arrived(self, key: SignalKey, result: Overview | Exception) -> None:
        self.reading.discard(key)
        if isinstance(result, Exception):
            log.warning("cannot read an overview of %s: %s", label(key), result)
        elif key in self.visible:
            self.overviews[key] = result
            self.schedule_redraw()

    def _fit_y(self) -> None:
        """Fit the y range to the points the shown curves hold."""
        lows, highs = [], []
        for curve in self.curves.values():
            y = curve.yData
            if y is not None and len(y) and not np.all(np.isnan(y)):
                lows.append(np.nanmin(y))
                highs.append(np.nanmax(y))
        if not lows:
            return
        low, high = float(min(lows)), float(max(highs))
        if high - low <= 0:
            low, high = low - 0.5, high + 0.5
        self._setting_range = True
        try:
            self.viewbox.setYRange(low, high, padding=0.05)
        finally:
            self._setting_range = False

    def _curve(self, key: SignalKey) -> pg.PlotDataItem:
        curve = self.curves.get(key)
        if curve is None:
            info = self.known.get(key)
            unit = f" [{info.unit}]" if info is not None and info.unit else ""
            curve = pg.PlotDataItem(
                pen=pg.mkPen(self.colours.get(key, curve_colour(0)), width=1),
                name=label(key) + unit,
            )
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            style = self.styles.get(key)
            if style is not None:
                style.apply(curve)
            self.plot.addItem(curve)
            self.curves[key] = curve
        return curve

    def _draw_events(self, page: EventPage) -> None:
        wanted = {event.uid: event for event in page.events}
        for uid in self.event_lines.keys() - wanted.keys():
            self.plot.removeItem(self.event_lines.pop(uid))
        labelled = len(wanted) <= LABELLED
        for uid, event in wanted.items():
            if uid not in self.event_lines:
                self.event_lines[uid] = self._event_line(event, labelled)
        in_time = sorted(page.events, key=lambda event: event.time)
        lines = [self.event_lines[event.uid] for event in in_time]
        tags = [line.label for line in lines if hasattr(line, "label")]
        for row, tag in enumerate(tags):
            height = LABEL_ROWS[row % len(LABEL_ROWS)]
            if tag.orthoPos != height:
                tag.setPosition(height)

    def _event_line(self, event: Event, labelled: bool) -> pg.InfiniteLine:
        colour = EVENT_COLOURS[int(event.priority)]
        line = pg.InfiniteLine(
            pos=event.time,
            angle=90,
            movable=False,
            pen=pg.mkPen(colour, width=1, style=QtCore.Qt.DashLine),
            label=event.text if labelled else None,
            labelOpts={
                "position": 0.97,
                "color": colour,
                # text from the top, on the side of the line towards the middle of the view
                "anchors": [(0, 0), (1, 0)],
                "fill": (20, 22, 26, 190),
            },
        )
        line.setToolTip(f"{event.where}: {event.text}")
        line.setZValue(-10)
        self.plot.addItem(line, ignoreBounds=True)
        return line

    def _show_status(self) -> None:
        shown = len(self.visible)
        text = f"{shown} signal{'s' if shown != 1 else ''}"
        if self.aggregated:
            text += f" · {self.aggregated} as min/max per pixel"
        if self.waiting:
            text += f" · reading the overview of {self.waiting}"
        self.status.setText(text + f" · {self.last_redraw * 1000:.0f} ms")

    def curve_data(self, key: SignalKey) -> tuple[np.ndarray, np.ndarray]:
        """The points the curve of ``key`` shows now (empty when it has none)."""
        curve = self.curves.get(key)
        if curve is None or curve.xData is None:
            return np.empty(0), np.empty(0)
        return curve.xData, curve.yData
