"""gunicorn settings shared by ``amanah serve``, ``amanah demo``, the e2e server and benches.

The access log never holds a query string (search terms are NIKs, phones, e-mails): it logs the
path only (``%(U)s``, not the request line ``%(r)s``) and no referer (a URL with its query).
Every gunicorn handler also carries the identifier-masking filter.
"""

from gunicorn.glogging import Logger

from amanah.core.logfilters import install_on

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


class MaskingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        install_on(self.error_log, self.access_log)


logger_class = MaskingLogger
