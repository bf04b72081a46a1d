"""`make bench`: the benchmark harness of issue 14 (measurement only; never a timed test).

run.py orchestrates: seed.py fills its own database, server.py starts gunicorn as production does,
wrk.py drives closed-loop rounds, openloop.py a constant-rate load timed from when each request was
due, micro.py the service-level measurements; the report goes to the terminal and results/latest.json.
"""
