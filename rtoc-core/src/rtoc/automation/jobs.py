"""Script jobs: a script run once, every so often, on new data of signals, or on events.

Each job has its own thread, so a slow or endless script holds up only
itself: sampling, storage and the other jobs go on. A run that raises ends
with an error report and the job's next run still happens. A periodic job
whose run outlasts its period skips the ticks it missed (reported, never
queued up); triggers that arrive while a run is under way are folded into one
more run afterwards.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

import attrs

from rtoc.automation.script import Script, ScriptError
from rtoc.automation.watchdog import Interrupted, Run, Watchdog
from rtoc.signals import SignalKey

Kind = Literal["once", "every", "signals", "events"]
State = Literal["waiting", "running", "stopped", "done"]

#: How long ``stop`` waits for a job's thread after interrupting it.
STOP_TIMEOUT = 2.0
#: Bounds of a periodic job's interval, seconds: a thousand runs a second at
#: most, and a wait a thread can make (1e300 s overflows it; about 4 months).
SHORTEST_PERIOD = 0.001
LONGEST_PERIOD = 1e7


class JobError(ValueError):
    """A job request that cannot be done: unknown name, bad schedule, name taken."""


@attrs.frozen
class Schedule:
    """When a job runs. Build one with the class methods."""

    kind: Kind
    seconds: float | None = None
    signals: tuple[SignalKey, ...] = ()
    events: tuple[str, ...] = ()

    @classmethod
    def once(cls) -> Schedule:
        return cls("once")

    @classmethod
    def every(cls, seconds: float) -> Schedule:
        """Every ``seconds`` (the GUI's "samplerate-triggered")."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise JobError(f"a job's interval is a number of seconds, got {seconds!r}")
        if not SHORTEST_PERIOD <= seconds <= LONGEST_PERIOD:  # NaN too
            raise JobError(
                f"a job's interval must be from {SHORTEST_PERIOD:g} to {LONGEST_PERIOD:g} "
                f"seconds, got {seconds}"
            )
        return cls("every", seconds=float(seconds))

    @classmethod
    def samplerate(cls, hertz: float) -> Schedule:
        """``hertz`` runs a second."""
        if isinstance(hertz, bool) or not isinstance(hertz, (int, float)):
            raise JobError(f"a job's samplerate is a number of runs per second, got {hertz!r}")
        if not 1 / LONGEST_PERIOD <= hertz <= 1 / SHORTEST_PERIOD:  # NaN too
            raise JobError(
                f"a job's samplerate must be from {1 / LONGEST_PERIOD:g} to "
                f"{1 / SHORTEST_PERIOD:g} runs per second, got {hertz}"
            )
        return cls.every(1.0 / hertz)

    @classmethod
    def on_signals(cls, keys: Iterable[SignalKey]) -> Schedule:
        """Whenever one of these signals gets new samples ("signal-triggered")."""
        keys = tuple(dict.fromkeys(keys))
        if not keys:
            raise JobError("a signal-triggered job needs at least one signal")
        return cls("signals", signals=keys)

    @classmethod
    def on_events(cls, ids: Iterable[str]) -> Schedule:
        """Whenever an event with one of these ids is raised (global actions)."""
        return cls("events", events=tuple(dict.fromkeys(ids)))

    def __str__(self) -> str:
        if self.kind == "every":
            return f"every {self.seconds:g} s"
        if self.kind == "signals":
            return "on new data of " + ", ".join(f"{d}.{s}" for d, s in self.signals)
        if self.kind == "events":
            return "on events " + ", ".join(map(repr, self.events))
        return "once"


@attrs.frozen
class JobInfo:
    """A job as listings show it."""

    name: str
    schedule: str
    state: State
    runs: int
    failures: int
    skipped: int  # periodic ticks missed because a run took longer than the period
    folded: int  # triggers that arrived during a run and were folded into the next
    last_error: str
    last_duration: float | None
    source: str


class JobHost(Protocol):
    """What a job needs from the automation that owns it."""

    watchdog: Watchdog

    def names_for(self, job: Job) -> dict[str, Any]: ...

    def job_failed(self, job: Job, message: str, kind: str) -> None: ...

    def job_overran(self, job: Job, duration: float, skipped: int) -> None: ...


class Job:
    """One script with a schedule, running in its own thread once started."""

    def __init__(
        self,
        name: str,
        script: Script,
        schedule: Schedule,
        host: JobHost,
        time_limit: float | None = None,
    ) -> None:
        self.name = name
        self.script = script
        self.schedule = schedule
        self.time_limit = time_limit
        self._host = host
        self._state: State = "waiting"
        self.runs = self.failures = self.skipped = self.folded = 0
        self.last_error = ""
        self.last_duration: float | None = None
        self._names: dict[str, Any] = {}
        self._wake = threading.Condition()
        self._pending: tuple[Any] | None = None  # (trigger,) once a trigger waits
        self._stopping = False
        self._run: Run | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def info(self) -> JobInfo:
        return JobInfo(
            name=self.name,
            schedule=str(self.schedule),
            state=self._state,
            runs=self.runs,
            failures=self.failures,
            skipped=self.skipped,
            folded=self.folded,
            last_error=self.last_error,
            last_duration=self.last_duration,
            source=self.script.source,
        )

    # -- control -----------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._names = self._host.names_for(self)
        self._stopping = False
        self._pending = None
        self._state = "waiting"
        self._thread = threading.Thread(
            target=self._main, name=f"rtoc-job-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop the job, interrupting a run under way; True when its thread ended."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        run = self._run
        if run is not None:
            self._host.watchdog.interrupt(run, "stopped")
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def trigger(self, cause: Any = None) -> None:
        """Ask for a run with ``cause`` as the script's ``trigger``; folds into a pending one."""
        with self._wake:
            if self._pending is not None:
                self.folded += 1
            self._pending = (cause,)
            self._wake.notify()

    # -- the job's thread ------------------------------------------------------------

    def _main(self) -> None:
        try:
            if self.schedule.kind == "once":
                self._run_once(None)
            elif self.schedule.kind == "every":
                self._periodically(self.schedule.seconds or 1.0)
            else:
                self._when_triggered()
        except Interrupted:  # a stop that arrived between runs
            pass
        finally:
            self._state = "stopped" if self._stopping else "done"

    def _periodically(self, period: float) -> None:
        due = time.monotonic()
        while True:
            with self._wake:
                while not self._stopping and (wait := due - time.monotonic()) > 0:
                    self._wake.wait(wait)
                if self._stopping:
                    return
            self._run_once(None)
            due += period
            late = time.monotonic() - due
            if late > 0:
                skipped = math.ceil(late / period)
                due += skipped * period
                self.skipped += skipped
                self._host.job_overran(self, self.last_duration or 0.0, skipped)

    def _when_triggered(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and self._pending is None:
                    self._wake.wait()
                if self._stopping:
                    return
                (cause,) = self._pending  # type: ignore[misc]
                self._pending = None
            self._run_once(cause)

    def _run_once(self, cause: Any) -> None:
        names = {**self._names, "clock": time.time(), "trigger": cause}
        if cause is not None and hasattr(cause, "value"):
            names["value"] = cause.value
        watchdog = self._host.watchdog
        self._state = "running"
        started = time.perf_counter()
        run = self._run = watchdog.begin(self.name, self.time_limit)
        if self._stopping:  # stop() came before the run was there to interrupt
            watchdog.end(run)
            self._run = None
            self._state = "waiting"
            return
        try:
            try:
                self.script.run(names)
            finally:
                watchdog.end(run)
        except ScriptError as error:
            # the same error type on the same line is "the same failure", whatever its values
            self._failed(str(error), f"line {error.line}: {error.message.partition(':')[0]}")
        except Interrupted:
            watchdog.end(run)
            if not self._stopping:
                self._failed(f"script {self.name} was interrupted: it {run.reason}", "interrupted")
        finally:
            self._run = None
            self.runs += 1
            self.last_duration = time.perf_counter() - started
            self._state = "waiting"

    def _failed(self, message: str, kind: str) -> None:
        self.failures += 1
        self.last_error = message
        self._host.job_failed(self, message, kind)


class Jobs:
    """The named jobs of one logger: add, start, stop, replace, remove, list."""

    def __init__(self, host: JobHost) -> None:
        self._host = host
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        #: Called with each job that starts and stops (signal and event hooks go here).
        self.on_start: Callable[[Job], None] = lambda job: None
        self.on_stop: Callable[[Job], None] = lambda job: None

    def add(
        self,
        name: str,
        source: str,
        schedule: Schedule,
        *,
        replace: bool = False,
        start: bool = True,
        time_limit: float | None = None,
    ) -> Job:
        """Compile ``source`` and add it as job ``name``; ScriptError if it does not compile.

        With ``replace``, a job of that name is stopped and replaced; without, a
        taken name is a :class:`JobError`.
        """
        if not isinstance(name, str) or not name.strip():
            raise JobError(f"a job needs a name, got {name!r}")
        script = Script(source, name)  # compile before touching the running job
        job = Job(name, script, schedule, self._host, time_limit)
        with self._lock:
            old = self._jobs.get(name)
            if old is not None and not replace:
                raise JobError(f"a job named {name!r} exists; replace it or pick another name")
            self._jobs[name] = job
        if old is not None:
            self._halt(old)
        if start:
            self.start(name)
        return job

    def start(self, name: str) -> Job:
        job = self.get(name)
        if not job.running:
            job.start()
            self.on_start(job)
        return job

    def stop(self, name: str) -> bool:
        """Stop a job; True when its thread ended within the timeout."""
        return self._halt(self.get(name))

    def remove(self, name: str) -> bool:
        job = self.get(name)
        with self._lock:
            if self._jobs.get(name) is job:
                del self._jobs[name]
        return self._halt(job)

    def get(self, name: str) -> Job:
        job = self._jobs.get(name)
        if job is None:
            known = ", ".join(sorted(self._jobs)) or "none"
            raise JobError(f"no job named {name!r}; jobs: {known}")
        return job

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def __iter__(self):
        return iter(list(self._jobs.values()))

    def infos(self) -> list[JobInfo]:
        return [job.info() for job in sorted(self, key=lambda job: job.name)]

    def stop_all(self) -> None:
        for job in self:
            self._halt(job)

    def _halt(self, job: Job) -> bool:
        self.on_stop(job)
        return job.stop()
