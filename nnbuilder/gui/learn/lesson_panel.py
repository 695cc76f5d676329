"""The Lessons panel's widgets: the list of lessons (a file that cannot be
used is listed greyed out, with the reason), then one step at a time: its
text, what to do, what the app is waiting for, "✓ Done" once noticed, and
Back / Skip / Next. It shows what it is given and reports what the user
picks; the lesson controller (:mod:`.lesson_controller`) does the rest.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QPalette, QTextDocument
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QScrollArea,
                               QStackedWidget, QStyle, QStyledItemDelegate, QTextBrowser, QToolButton,
                               QVBoxLayout, QWidget)

from nnbuilder.core.teaching.lessons import ANSWER_LINK

from ..widgets.follows_theme import FollowsTheme
from ..widgets.scale import scaled_pt

LIST_HINT = ("Each lesson walks you through one idea of the lecture in the app itself: it loads "
             "a network and data, tells you what to do, and notices when you have done it.")


class TitleFirst(QStyledItemDelegate):
    """A list entry "title\nsummary" drawn with its title in bold, wrapped to the list's width."""

    def _document(self, option, index) -> QTextDocument:
        title, _, rest = (index.data() or "").partition("\n")
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(4)
        doc.setHtml(f"<b>{escape(title, quote=False)}</b><br>{escape(rest, quote=False)}")
        doc.setTextWidth(max(self.parent().viewport().width(), 100))  # the list's, in sizeHint as in paint
        return doc

    def paint(self, painter, option, index):
        self.initStyleOption(option, index)
        text, option.text = option.text, ""
        option.widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        selected = option.state & QStyle.StateFlag.State_Selected
        enabled = bool(index.flags() & Qt.ItemFlag.ItemIsEnabled)
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(group, role))
        doc = self._document(option, index)  # kept while its layout draws
        painter.save()
        try:
            painter.translate(option.rect.topLeft())
            doc.documentLayout().draw(painter, context)
        finally:
            painter.restore()
        option.text = text

    def sizeHint(self, option, index):
        self.initStyleOption(option, index)
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 4)


class LessonPanel(FollowsTheme, QWidget):
    """``lessonChosen(id)``, ``answerRequested(n)``, ``backRequested()``,
    ``nextRequested()``, ``listRequested()`` (Skip is Next before the step is done)."""

    lessonChosen = Signal(str)
    answerRequested = Signal(int)  # a "?" of quiz mode clicked: reveal that answer of the step
    backRequested = Signal()
    nextRequested = Signal()
    listRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.setAccessibleName("Lessons")
        self.stack = QStackedWidget()

        # Page 1: the list.
        self.list = QListWidget()
        self.list.setObjectName("lessonList")
        self.list.setAccessibleName("Lessons")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setItemDelegate(TitleFirst(self.list))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)  # heights follow the width
        self.list.itemActivated.connect(self._chosen)
        self.list.itemDoubleClicked.connect(self._chosen)
        self.list.currentItemChanged.connect(lambda item, _: self.start_button.setEnabled(
            item is not None and bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)))
        self.start_button = QPushButton("Start lesson")
        self.start_button.setObjectName("startLessonButton")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(lambda: self._chosen(self.list.currentItem()))
        hint = QLabel(LIST_HINT)
        hint.setWordWrap(True)
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(hint)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignRight)
        self.stack.addWidget(page)

        # Page 2: one step.
        self.heading = QLabel()
        self.heading.setObjectName("lessonHeading")
        self.heading.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link)
        self.waiting = QLabel()
        self.waiting.setObjectName("lessonWaiting")
        self.waiting.setWordWrap(True)
        self.waiting.setTextFormat(Qt.TextFormat.RichText)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # (no gap above "Noticed:")
        self.done = QLabel("✓ Done")
        self.done.setObjectName("lessonDone")
        self.done.setAccessibleName("Step done")
        self.lessons_button = QPushButton("◂ Lessons")
        self.lessons_button.setObjectName("lessonListButton")
        self.lessons_button.setToolTip("Back to the list of lessons (the network stays as it is)")
        self.lessons_button.clicked.connect(self.listRequested)
        self.back_button = QPushButton("Back")
        self.back_button.setObjectName("lessonBackButton")
        self.back_button.setToolTip("The step before, set up again")
        self.back_button.clicked.connect(self.backRequested)
        self.skip_button = QPushButton("Skip")
        self.skip_button.setObjectName("lessonSkipButton")
        self.skip_button.setToolTip("Go on without doing this step")
        self.skip_button.clicked.connect(self.nextRequested)
        self.next_button = QPushButton("Next ▸")
        self.next_button.setObjectName("lessonNextButton")
        self.next_button.clicked.connect(self.nextRequested)
        # Two rows: on one the four buttons made the panel 340 px wide at the
        # least, wider than a 1024 px window's side column.
        back_to_list = QHBoxLayout()
        back_to_list.addWidget(self.lessons_button)
        back_to_list.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.back_button, self.skip_button, self.next_button):
            buttons.addWidget(b)
        page = self._step_page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.heading)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.waiting)
        lay.addWidget(self.done)
        # The step scrolls in a short panel, its heading and checks whole (squeezed,
        # "Step 2 of 3: Two" was cut at 200%), the text what is left; its buttons stay in view.
        scroll = QScrollArea()
        scroll.setObjectName("lessonStepScroll")
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page.installEventFilter(self)
        step = QWidget()
        lay = QVBoxLayout(step)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(scroll, 1)
        lay.addLayout(buttons)
        lay.addLayout(back_to_list)
        self.stack.addWidget(step)

        # Quiz mode (the window gives it its View > Quiz mode action): on both pages.
        self.quiz_button = QToolButton()
        self.quiz_button.setObjectName("quizButton")
        self.quiz_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.stack)
        layout.addWidget(self.quiz_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._style_done()

    def _style_done(self) -> None:
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.done.setStyleSheet(f"font-weight: bold; font-size: {scaled_pt(12):g}pt; color: {'#7bd88f' if dark else '#1e7b34'};")
        # Quiz mode on: framed in the highlight colour, in bold (Fusion's sunken look hardly showed);
        # set again in each theme (a style sheet keeps the palette it was set in).
        pal = self.palette()
        self.quiz_button.setStyleSheet(
            f"QToolButton:checked {{ font-weight: bold; color: {pal.color(QPalette.ColorRole.ButtonText).name()};"
            f" border: 2px solid {pal.color(QPalette.ColorRole.Highlight).name()}; border-radius: 4px;"
            f" padding: 2px 4px; }}")

    def theme_changed(self) -> None:
        self._style_done()

    def changeEvent(self, event):
        """A new UI scale: the styled "✓ Done" and Quiz mode button at it too (a widget
        with a style sheet kept the font it had: "Quiz mode: off" stayed small at 200%)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._style_done()

    def eventFilter(self, obj, event):
        if obj is self._step_page and event.type() == QEvent.Type.Resize \
                and event.size().width() != event.oldSize().width():
            self._fit_labels()
        return False

    def _fit_labels(self) -> None:
        """The heading and the checks as tall as their lines at the page's width
        (theirs, not their own last width: a narrower one left an empty gap above
        "Noticed:" and took the lesson text's lines)."""
        width = self._step_page.width()
        for label in (self.heading, self.waiting):
            label.setMinimumHeight(label.heightForWidth(width) if label.text() and width > 0 else 0)

    # ------------------------------------------------------------- the list
    def set_entries(self, entries, finished=()) -> None:
        """``entries``: :class:`~nnbuilder.core.teaching.lessons.LessonEntry` items;
        ``finished``: the ids of those gone through to the end (marked ✓)."""
        self.list.clear()
        for e in entries:
            if e.lesson is not None:
                mark = "✓ " if e.id in finished else ""
                item = QListWidgetItem(f"{mark}{e.lesson.title}\n{e.lesson.summary}")
                item.setToolTip(f"{len(e.lesson.steps)} steps: "
                                + "; ".join(s.title for s in e.lesson.steps))
            else:
                item = QListWidgetItem(f"{e.id} (cannot be used)\n{e.error}")
                item.setToolTip(e.error)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setData(Qt.ItemDataRole.UserRole, e.id)
            self.list.addItem(item)
        self.stack.setCurrentIndex(0)

    def show_list(self) -> None:
        self.stack.setCurrentIndex(0)

    def _chosen(self, item) -> None:
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.lessonChosen.emit(item.data(Qt.ItemDataRole.UserRole))

    # ------------------------------------------------------------- a step
    def show_step(self, lesson_title: str, number: int, count: int, step_title: str, html: str,
                  first: bool, last: bool) -> None:
        self.stack.setCurrentIndex(1)
        self.heading.setText(f"<b>{escape(lesson_title, quote=False)}</b><br>Step {number} of {count}: "
                             f"{escape(step_title, quote=False)}")
        self.text.setHtml(html)
        self._fit_labels()
        self.back_button.setEnabled(not first)
        self.next_button.setText("Finish" if last else "Next ▸")

    def show_text(self, html: str) -> None:
        """The step's text again (an answer revealed), where it was scrolled to."""
        bar = self.text.verticalScrollBar()
        at = bar.value()
        self.text.setHtml(html)
        bar.setValue(at)

    def _link(self, url) -> None:
        text = url.toString()
        if text.startswith(ANSWER_LINK) and text[len(ANSWER_LINK):].isdigit():
            self.answerRequested.emit(int(text[len(ANSWER_LINK):]))

    def show_progress(self, results: list[tuple[str, bool]], done: bool, note: str = "") -> None:
        """``results``: (what a check says, whether it holds); ``done``: noticed (or nothing to notice)."""
        lines = [f"{'✓' if ok else '○'} {escape(text)}" for text, ok in results]
        head = "Noticed:" if done else "Waiting for:"
        text = f"{head}<br>" + "<br>".join(lines) if lines else ""
        if note:
            text += f"<br><i>{escape(note)}</i>"
        self.waiting.setText(text)
        self.waiting.setVisible(bool(text))
        self._fit_labels()
        self.done.setVisible(done and bool(results))
        self.next_button.setEnabled(done)
        self.skip_button.setVisible(not done)
