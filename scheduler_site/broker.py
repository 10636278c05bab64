"""The embedded Celery broker: one SQLite file shared by web, beat and workers.

``make run`` needs a broker with nothing installed. Celery's filesystem
transport corrupted itself under load (a worker read a message file another
process had created but not yet written: ``JSONDecodeError`` in
``drain_events``, kombu #1551, and the worker died). This is kombu's SQLAlchemy
transport (``kombu.transport.sqlalchemy``, its tables and engine handling) on
an SQLite file, where every step is a transaction, with what several
processes need added:

- **SQLite for several processes**: WAL journal and a busy timeout on every
  connection, and each claim under ``BEGIN IMMEDIATE``, so two consumers never
  take the same message and a writer waits for the lock instead of failing.
  An empty queue is checked without the write lock, so idle workers polling
  every 0.1 s do not queue up behind one another.
- **A consumed message is deleted** in the transaction that claims it (kombu
  flags it invisible and keeps the row forever).
- **Remote control**: exchange bindings live in a table every process reads,
  so fanout (broadcast) and the direct reply exchange reach other processes.
  ``app.control.ping`` / ``inspect`` work (the plain transport silently drops
  broadcasts, Celery lists it without remote control, and a ping then waits
  its whole timeout for nothing). Broadcast copies older than a minute are
  pruned: pidbox messages expire after their timeout anyway, and a queue of a
  node that never comes back would otherwise grow.
- Topic exchanges (Celery events, gossip) stay in-process as in kombu's
  transport: no monitoring events, and no rows for them.

Delivery semantics are those of kombu's virtual transports: an unacknowledged
message (``acks_late``, an ETA waiting in the worker) is handed back on a
worker's orderly shutdown; one whose worker is killed is lost, and the outbox
sweeper re-sends its job (``jobs.tasks.sweep_outbox``). ETAs and countdowns are
held by the worker, as with every broker.

URL: ``sqlite:///<path>`` (registered in ``scheduler_site/celery.py``).
Transport options: ``polling_interval`` (seconds), ``sqlite_busy_timeout``
(seconds, default 10), ``fanout_message_ttl`` (seconds, default 60); options
meant for other brokers (``visibility_timeout``, ``socket_timeout``, ...) are
ignored.
"""

from __future__ import annotations

import os
import threading
import time
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from json import dumps, loads
from queue import Empty

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    make_url,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import sessionmaker

binding_t = namedtuple("binding_t", ("routing_key", "pattern", "queue"))

_binding_metadata = MetaData()
bindings = Table(
    "kombu_binding",
    _binding_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exchange", String(200), nullable=False),
    Column("routing_key", String(255), nullable=False),
    Column("pattern", String(255), nullable=False),
    Column("queue", String(200), nullable=False),
    UniqueConstraint("exchange", "routing_key", "pattern", "queue"),
)
_MUTEX = threading.RLock()


def _utcnow() -> datetime:
    # kombu's column is a naive DateTime; keep it naive, in UTC.
    return datetime.now(UTC).replace(tzinfo=None)


class Channel(kombu_sqla.Channel):
    supports_fanout = True
    # One engine per URL per process (kombu's cache is shared with its own
    # transport; keep ours apart). Forked children drop theirs (see below).
    _engines: dict = {}

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self._queue_ids: dict[str, int] = {}
        options = connection.client.transport_options
        self.busy_timeout = float(options.get("sqlite_busy_timeout", 10.0))
        self.fanout_ttl = float(options.get("fanout_message_ttl", 60.0))

    # --- engine ----------------------------------------------------------------
    def _engine_from_config(self):
        url = make_url(self.connection.client.hostname)
        if url.get_backend_name() != "sqlite":
            return create_engine(url)
        engine = create_engine(url, connect_args={"timeout": self.busy_timeout})
        busy_ms = int(self.busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _sqlite_for_several_processes(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        return engine

    def _open(self):
        url = self.connection.client.hostname
        if url not in self._engines:
            with _MUTEX:
                if url not in self._engines:
                    engine = self._engine_from_config()
                    self._create_tables(engine)
                    self._engines[url] = engine, sessionmaker(bind=engine)
        return self._engines[url]

    def _create_tables(self, engine) -> None:
        for attempt in range(3):
            try:
                kombu_sqla.metadata.create_all(engine)
                _binding_metadata.create_all(engine)
                with engine.begin() as conn:
                    # The claim's query: the oldest visible message of one queue.
                    conn.exec_driver_sql(
                        f"CREATE INDEX IF NOT EXISTS ix_{self.message_tablename}_queue_claim "
                        f"ON {self.message_tablename} (queue_id, visible, id)"
                    )
                return
            except OperationalError:
                # Another process is creating the same tables right now.
                if attempt == 2:
                    raise
                time.sleep(0.2)

    @property
    def _engine(self):
        return self._open()[0]

    @property
    def _messages(self) -> Table:
        return self.message_cls.__table__

    def _queue_id(self, queue: str) -> int:
        # Queue rows are never deleted (queue_delete only purges), so the id is
        # cached for the channel's life.
        if queue not in self._queue_ids:
            table = self.queue_cls.__table__
            find = select(table.c.id).where(table.c.name == queue)
            with self._engine.connect() as conn:
                queue_id = conn.execute(find).scalar()
                if queue_id is None:
                    try:
                        conn.execute(insert(table).values(name=queue))
                        conn.commit()
                    except IntegrityError:
                        conn.rollback()
                    queue_id = conn.execute(find).scalar()
            self._queue_ids[queue] = queue_id
        return self._queue_ids[queue]

    # --- messages ----------------------------------------------------------------
    def _new_queue(self, queue, **kwargs):
        self._queue_id(queue)

    def _put(self, queue, payload, **kwargs):
        row = {
            "queue_id": self._queue_id(queue),
            "payload": dumps(payload),
            "visible": True,
            "timestamp": _utcnow(),
            "version": 1,
        }
        with self._engine.begin() as conn:
            conn.execute(insert(self._messages).values(**row))

    def _get(self, queue):
        messages = self._messages
        oldest = (
            select(messages.c.id, messages.c.payload)
            .where(messages.c.queue_id == self._queue_id(queue), messages.c.visible.is_(True))
            .order_by(messages.c.id)
            .limit(1)
        )
        with self._engine.connect() as conn:
            # A plain read first: no write lock while the queue is empty.
            if conn.execute(oldest).first() is None:
                raise Empty()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                oldest = oldest.with_for_update(skip_locked=True)
            row = conn.execute(oldest).first()
            if row is None:  # another consumer took it in between
                conn.rollback()
                raise Empty()
            conn.execute(delete(messages).where(messages.c.id == row.id))
            conn.commit()
        return loads(bytes_to_str(row.payload))

    def _purge(self, queue):
        messages = self._messages
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(messages).where(messages.c.queue_id == self._queue_id(queue))
            )
        return result.rowcount

    def _size(self, queue):
        messages = self._messages
        count = select(func.count()).where(messages.c.queue_id == self._queue_id(queue))
        with self._engine.connect() as conn:
            return conn.execute(count).scalar()

    # --- bindings shared by every process (fanout, replies) ------------------------
    def _shared(self, exchange) -> bool:
        return self.typeof(exchange).type != "topic"

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        if not self._shared(exchange):
            return
        row = {
            "exchange": exchange,
            "routing_key": routing_key or "",
            "pattern": pattern or "",
            "queue": queue,
        }
        with self._engine.connect() as conn:
            try:
                conn.execute(insert(bindings).values(**row))
                conn.commit()
            except IntegrityError:  # bound already (by this or another process)
                conn.rollback()

    def get_table(self, exchange):
        if not self._shared(exchange):
            return super().get_table(exchange)
        columns = (bindings.c.routing_key, bindings.c.pattern, bindings.c.queue)
        query = select(*columns).where(bindings.c.exchange == exchange).order_by(bindings.c.id)
        with self._engine.connect() as conn:
            return [
                binding_t(r.routing_key, r.pattern or None, r.queue) for r in conn.execute(query)
            ]

    def _unbind(self, exchange, routing_key, pattern, queue) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(bindings).where(
                    bindings.c.exchange == exchange,
                    bindings.c.routing_key == (routing_key or ""),
                    bindings.c.pattern == (pattern or ""),
                    bindings.c.queue == queue,
                )
            )

    def queue_unbind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        if exchange and self._shared(exchange):
            meta = self.typeof(exchange).prepare_bind(queue, exchange, routing_key, arguments)
            self._unbind(exchange, *meta)
        super().queue_unbind(queue, exchange, routing_key, arguments, **kwargs)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        self._purge(queue)
        if self._shared(exchange):
            self._unbind(exchange, routing_key, pattern, queue)

    def _put_fanout(self, exchange, message, routing_key, **kwargs):
        queues = [binding.queue for binding in self.get_table(exchange)]
        if not queues:
            return
        queue_ids = [self._queue_id(queue) for queue in queues]
        messages = self._messages
        cutoff = _utcnow() - timedelta(seconds=self.fanout_ttl)
        with self._engine.begin() as conn:
            conn.execute(
                delete(messages).where(
                    messages.c.queue_id.in_(queue_ids), messages.c.timestamp < cutoff
                )
            )
        for queue in queues:
            self._put(queue, message)


class Transport(kombu_sqla.Transport):
    Channel = Channel
    implements = kombu_sqla.Transport.implements.extend(
        exchange_type=frozenset(["direct", "topic", "fanout"])
    )
    driver_name = "sqlite"


def _forget_engines_after_fork() -> None:
    # A pool child must not share the parent's SQLite connections.
    for engine, _ in Channel._engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_engines_after_fork)
