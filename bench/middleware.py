"""Bench-only: count the SQL statements Django sends for one request, when the request asks.

A request carrying ``X-Bench-Count-Queries: 1`` gets ``X-Bench-Queries: <n>`` back: every
statement executed through Django's cursors from the first middleware to the response
(authentication, throttles, the view, the middleware after it). Not counted: the one ``SELECT 1``
psycopg sends when CONN_HEALTH_CHECKS re-checks a reused connection at its first use in a request
(Django sends it on the raw connection). Measured requests do not carry the header and pay one
dictionary lookup. Wired only by ytempire.settings.bench.
"""

from django.db import connections

HEADER = "HTTP_X_BENCH_COUNT_QUERIES"


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(HEADER) != "1":
            return self.get_response(request)
        counter = _Counter()
        wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Bench-Queries"] = str(counter.count)
        return response
