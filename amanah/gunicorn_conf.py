"""gunicorn settings shared by ``amanah serve``, ``amanah demo``, the e2e server and benches.

The access log never holds a query string (search terms are NIKs, phones, e-mails): it logs the
path only (``%(U)s``, not the request line ``%(r)s``) and no referer (a URL with its query).
Every gunicorn handler also carries the identifier-masking filter.

**How ``amanah serve`` serves** (``demo`` and the e2e server pass ``--threads 4`` and so run
gunicorn's threaded worker instead): sync workers, one request at a time per process,
``WEB_CONCURRENCY`` of them (default three per CPU, at most 16). A free process takes the next
connection from the shared queue, so no request waits behind a busy process while another is idle —
with threads, a process accepts (and keeps) connections while its threads are busy, and a request's
database transaction waits for its thread's turn at the interpreter lock between round trips,
holding whatever it has locked (the audit chain's lock, which every audited request passes). In
back-to-back runs of the 50-user load the sync workers had the lower p95 in every pair, by 41–87 ms
(docs/benchmarks.md, "Serving with sync workers"). Two things the plain sync worker does badly are
handled by ``SyncWorker`` below. gunicorn advises a buffering reverse proxy in front of sync workers
(slow clients then cost the proxy, not a worker); the README says so. A sync worker closes the
connection after each answer (no keep-alive between the proxy and gunicorn).
"""

import os
import select

from gunicorn.glogging import Logger
from gunicorn.workers import sync

from amanah.core import progress
from amanah.core.logfilters import install_on

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Three per CPU, at most 16: each holds a database connection.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(3 * _usable_cpus(), 16))
worker_class = "amanah.gunicorn_conf.SyncWorker"  # with --threads > 1: gunicorn's gthread
# A worker silent this long is killed (the request it holds answered 500). Long work reports
# progress (core.progress) and so is not silent: exports, an import's row count.
timeout = 60

# A connection that sends nothing for this long is closed (see SyncWorker).
FIRST_BYTE_SECONDS = 5


class MaskingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        install_on(self.error_log, self.access_log)


logger_class = MaskingLogger


class SyncWorker(sync.SyncWorker):
    """gunicorn's sync worker, with two changes.

    - A connection that sends nothing for ``FIRST_BYTE_SECONDS`` is closed. A browser opens
      connections ahead of need and may never use them; the plain sync worker would sit on
      such a connection until its timeout kills it. Over plain HTTP only (TLS ends at the
      proxy): with TLS the handshake is the first byte.
    - Long work reports its progress to the watchdog (``core.progress``: CSV rows as they
      stream, XLSX and audit exports as they are built, an import's rows as they are
      counted), so it is not killed at the timeout; a request that hangs still is.
    """

    def run(self):
        progress.report_to(self.notify)
        super().run()

    def handle(self, listener, client, addr):
        waiting = select.poll()  # poll, not select: any descriptor number
        waiting.register(client, select.POLLIN)
        if not waiting.poll(FIRST_BYTE_SECONDS * 1000):
            self.log.debug("Closing a connection that sent nothing for %s s", FIRST_BYTE_SECONDS)
            client.close()  # nothing was sent: nothing to drain or answer
            return
        self.notify()  # the request's time starts now, not at the accept
        super().handle(listener, client, addr)
