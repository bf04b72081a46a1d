"""``python -m ytempire.ops.simulation.web PORT``: the API (ytempire.wsgi's application) on a threaded
WSGI server, following the simulated clock. The fake N8N calls its webhooks back here."""

import signal
import sys


def main() -> None:
    from .clock import follow_from_environment

    follow_from_environment()
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    from .instrument import mark_ready, timed_wsgi

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):  # every request is measured in the stats instead
            return

    port = int(sys.argv[1])
    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler)
    server.daemon_threads = True
    app = timed_wsgi(WSGIHandler())
    server.set_app(app)

    def stop(signum, frame):
        app.templates.flush()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    mark_ready("web")
    server.serve_forever()


if __name__ == "__main__":
    main()
