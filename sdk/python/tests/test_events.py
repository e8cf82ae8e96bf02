"""The events stream resumes from the last event id when the connection drops mid-stream: every event once, in
order, ending with the run's final event. The drop is real: a TCP relay between client and coordinator cuts
every connection it carries."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from eris_chaos import Client, ErisConnectionError
from eris_chaos.models import RunEvent

from .conftest import Cluster
from .harness import free_port, sample_drill


class Relay:
    """Forwards 127.0.0.1:port to the coordinator; ``cut()`` closes every connection open through it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.connections = 0
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.refusing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                down.close()
                continue
            up = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.connections += 1
                self.open += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        with self.lock:
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.open.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relay(cluster: Cluster) -> Iterator[Relay]:
    port = int(cluster.url.rsplit(":", 1)[1])
    r = Relay(port)
    try:
        yield r
    finally:
        r.close()


def seqs(events: list[RunEvent]) -> list[int]:
    return [e.seq for e in events if e.seq is not None]


def test_a_dropped_stream_is_resumed_from_the_last_event_id(client: Client, cluster: Cluster, relay: Relay) -> None:
    cluster.members.healthy()
    run = client.runs.start(spec=sample_drill(cluster.tag, "py-events"))
    through = Client(f"http://127.0.0.1:{relay.port}", cluster.token)
    events: list[RunEvent] = []
    cuts = 0
    for event in through.runs.events(run.id):
        events.append(event)
        # Mid-stream, twice, each time on the connection the client is reading now (not on a stale one).
        if len(events) >= 2 and cuts < 2 and relay.connections == cuts + 1 and not event.is_final:
            relay.cut()
            cuts += 1
    assert relay.connections >= 3, "the stream was re-opened after each cut"
    assert events[-1].is_final and events[-1].report is not None
    assert events[-1].report.status == "passed"
    got = seqs(events)
    assert got == sorted(got) and len(set(got)) == len(got), "in order, no duplicates"
    # Nothing lost: the same as a replay of the whole stream on a connection that never dropped.
    assert got == seqs(list(client.runs.events(run.id)))


def test_replays_only_what_came_after(client: Client, cluster: Cluster) -> None:
    [latest] = client.runs.list(drill="py-events", limit=1)
    every = seqs(list(client.runs.events(latest.id)))
    tail = seqs(list(client.runs.events(latest.id, after=every[-3])))
    assert tail == every[-2:]


def test_gives_up_when_the_stream_keeps_dropping(client: Client, cluster: Cluster, relay: Relay) -> None:
    cluster.members.healthy()
    drill = sample_drill(cluster.tag, "py-events-drop")
    run = client.runs.start(spec=drill)
    through = Client(f"http://127.0.0.1:{relay.port}", cluster.token)
    with pytest.raises(ErisConnectionError, match="keeps dropping") as dropped:
        for _ in through.runs.events(run.id, reconnects=2):
            relay.refusing = True
            relay.cut()
    assert dropped.value.__cause__ is not None
    assert client.runs.wait(run.id, timeout=120).status == "passed"


def test_the_first_connection_failing_is_the_callers_to_see(cluster: Cluster) -> None:
    port = free_port()
    with pytest.raises(ErisConnectionError):
        next(iter(Client(f"http://127.0.0.1:{port}", cluster.token).runs.events("x")))
